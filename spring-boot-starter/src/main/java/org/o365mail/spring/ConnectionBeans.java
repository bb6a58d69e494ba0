package org.o365mail.spring;

import java.util.Map;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.CredentialListener;
import org.o365mail.auth.CredentialStrategy;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.beans.factory.support.AutowireCandidateQualifier;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.RootBeanDefinition;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.ImportBeanDefinitionRegistrar;
import org.springframework.core.env.Environment;
import org.springframework.core.type.AnnotationMetadata;

/**
 * Registers, for each {@code o365mail.connections.<name>}, a {@link CredentialStrategy} bean named {@code
 * <name>CredentialStrategy} and a {@link MailboxConnector} bean named {@code <name>MailboxConnector}, both qualified
 * {@code <name>} (inject them with {@code @Qualifier("<name>")}). An application bean of the same name replaces
 * either; the connector is then built on the application's credential. A unique {@link CredentialListener} bean
 * (the metrics binder's, when there) hears every credential's token requests.
 */
final class ConnectionBeans implements ImportBeanDefinitionRegistrar, EnvironmentAware, BeanFactoryAware {
  private Environment environment;
  private BeanFactory beanFactory;

  @Override
  public void setEnvironment(Environment environment) {
    this.environment = environment;
  }

  @Override
  public void setBeanFactory(BeanFactory beanFactory) {
    this.beanFactory = beanFactory;
  }

  static String credentialBean(String name) {
    return name + "CredentialStrategy";
  }

  static String connectorBean(String name) {
    return name + "MailboxConnector";
  }

  static Map<String, O365MailProperties.Connection> bind(Environment environment) {
    return Binder.get(environment)
        .bind("o365mail.connections", Bindable.mapOf(String.class, O365MailProperties.Connection.class))
        .orElse(Map.of());
  }

  /** The application's CredentialListener bean (the metrics binder's, when there), else none. */
  private CredentialListener listener() {
    CredentialListener l = beanFactory.getBeanProvider(CredentialListener.class).getIfUnique();
    return l != null ? l : CredentialListener.NONE;
  }

  @Override
  public void registerBeanDefinitions(AnnotationMetadata metadata, BeanDefinitionRegistry registry) {
    bind(environment).forEach((name, c) -> {
      String credential = credentialBean(name);
      if (!registry.containsBeanDefinition(credential)) {
        RootBeanDefinition d = new RootBeanDefinition(CredentialStrategy.class,
            () -> Connections.credential(name, c, listener()));
        d.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
        registry.registerBeanDefinition(credential, d);
      }
      String connector = connectorBean(name);
      if (!registry.containsBeanDefinition(connector)) {
        RootBeanDefinition d = new RootBeanDefinition(MailboxConnector.class, () -> Connections.connector(name, c,
            beanFactory.getBean(credential, CredentialStrategy.class)));
        d.addQualifier(new AutowireCandidateQualifier(Qualifier.class, name));
        d.setDependsOn(credential);
        d.setDestroyMethodName(AbstractBeanDefinition.INFER_METHOD);
        registry.registerBeanDefinition(connector, d);
      }
    });
  }
}
