package org.o365mail.spring;

import java.util.LinkedHashMap;
import java.util.Map;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.FileCheckpointStore;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.MessageHandler;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.NoSuchBeanDefinitionException;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.BeanFactoryAnnotationUtils;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * The SDK's beans from {@code o365mail.*}: a credential and a connector per connection (see {@link
 * O365MailProperties}), an {@link ImportScheduler}, a checkpoint store and the {@link O365MailImporters} of the
 * enabled imports, whose handler is the application's {@link MessageHandler} bean (the one qualified with the
 * connection's name when there are several). Nothing is started unless an import is enabled. Every bean yields to
 * one the application declares.
 *
 * <p>Thread-safe: Spring calls it while it builds the context.
 */
@AutoConfiguration(afterName = {
    "org.springframework.boot.autoconfigure.jdbc.DataSourceAutoConfiguration",
    "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration"})
@EnableConfigurationProperties(O365MailProperties.class)
@Import(ConnectionBeans.class)
public class O365MailAutoConfiguration {

  /** The scheduler whose threads run every importer's cycles; closed with the context. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public ImportScheduler o365mailImportScheduler(O365MailProperties properties) {
    int threads = properties.getScheduler().getThreads();
    if (threads < 1) {
      throw new IllegalStateException("o365mail.scheduler.threads must be at least 1, it is " + threads);
    }
    return ImportScheduler.create(threads);
  }

  /** PostgreSQL checkpoints and leases when o365-mail-jdbc and a DataSource are there. */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = "org.o365mail.jdbc.PostgresCheckpointStore")
  @ConditionalOnBean(javax.sql.DataSource.class)
  static class JdbcCheckpoints {
    @Bean
    @ConditionalOnMissingBean
    CheckpointStore o365mailCheckpointStore(javax.sql.DataSource dataSource) {
      return org.o365mail.jdbc.PostgresCheckpointStore.builder(dataSource).build();
    }
  }

  /** Checkpoints in files when {@code o365mail.checkpoint-directory} is set (and no other store is). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnProperty(prefix = "o365mail", name = "checkpoint-directory")
  static class FileCheckpoints {
    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    CheckpointStore o365mailCheckpointStore(O365MailProperties properties) {
      return new FileCheckpointStore(properties.getCheckpointDirectory());
    }
  }

  /** The enabled imports, started once the context is refreshed and stopped first on shutdown. */
  @Bean
  @ConditionalOnMissingBean
  public O365MailImporters o365mailImporters(O365MailProperties properties, ListableBeanFactory beans,
      ObjectProvider<CheckpointStore> checkpointStore, ImportScheduler scheduler,
      ObjectProvider<O365MailImporterCustomizer> customizers) {
    Map<String, O365MailImporters.Plan> plans = new LinkedHashMap<>();
    properties.getImport().forEach((name, imp) -> {
      if (!imp.isEnabled()) {
        return;
      }
      O365MailProperties.Connection c = properties.getConnections().get(name);
      if (c == null) {
        throw new IllegalStateException("o365mail.import." + name + ".enabled is true but no o365mail.connections."
            + name + " is declared: declare the connection or correct the name");
      }
      Connections.validate(name, c);
      plans.put(name, new O365MailImporters.Plan(name, c, imp, handler(beans, name)));
    });
    CheckpointStore store = null;
    if (!plans.isEmpty()) {
      store = checkpointStore.getIfAvailable();
      if (store == null) {
        throw new IllegalStateException("o365mail.checkpoint-directory is required to import (or declare a"
            + " CheckpointStore bean, or a DataSource with o365-mail-jdbc): importers keep their progress there");
      }
    }
    if (properties.getCluster().isJdbc() && (store == null
        || !store.getClass().getName().equals("org.o365mail.jdbc.PostgresCheckpointStore"))
        && !plans.isEmpty()) {
      throw new IllegalStateException("o365mail.cluster.jdbc is true but there is no PostgreSQL checkpoint store:"
          + " add o365-mail-jdbc and a DataSource bean");
    }
    return new O365MailImporters(plans, store, scheduler, beans, properties.getCluster(),
        customizers.orderedStream().toList());
  }

  private static MessageHandler handler(ListableBeanFactory beans, String name) {
    try {
      return BeanFactoryAnnotationUtils.qualifiedBeanOfType(beans, MessageHandler.class, name);
    } catch (NoSuchBeanDefinitionException e) {
      ObjectProvider<MessageHandler> any = beans.getBeanProvider(MessageHandler.class);
      MessageHandler unique = any.getIfUnique();
      if (unique == null) {
        throw new IllegalStateException("o365mail.import." + name + ".enabled is true but there is no single"
            + " MessageHandler bean for it: declare one, named or @Qualifier(\"" + name + "\") when there are"
            + " several", e);
      }
      return unique;
    }
  }

}
