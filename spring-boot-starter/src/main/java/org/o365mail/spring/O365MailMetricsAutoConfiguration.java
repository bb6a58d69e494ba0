package org.o365mail.spring;

import org.o365mail.auth.CredentialListener;
import org.o365mail.micrometer.O365MailMetrics;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The SDK's meters when o365-mail-micrometer and Micrometer are on the class path: an {@link O365MailMetrics} bean
 * (a {@code MeterBinder}, which Boot binds to the application's registry; no mailbox address in a tag unless the
 * application declares its own binder with one), a credential listener every connection's credential gets, and a
 * customizer that gives each importer its listener. Boot 3 and
 * Boot 4 alike.
 *
 * <p>Thread-safe: the binder is.
 */
@AutoConfiguration(before = O365MailAutoConfiguration.class)
@ConditionalOnClass(name = {"org.o365mail.micrometer.O365MailMetrics", "io.micrometer.core.instrument.MeterRegistry"})
public class O365MailMetricsAutoConfiguration {

  /** The binder; closing it removes its meters from the registry. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  public O365MailMetrics o365mailMetrics() {
    return O365MailMetrics.create();
  }

  /** Every connection's credential counts its token requests and failures (by setup step) into the binder. */
  @Bean
  @ConditionalOnMissingBean
  public CredentialListener o365mailMetricsCredentialListener(O365MailMetrics metrics) {
    return metrics.credentialListener();
  }

  /** Each importer counts into the binder: messages, handler failures, parked messages, throttling, health. */
  @Bean
  public O365MailImporterCustomizer o365mailMetricsImporterCustomizer(O365MailMetrics metrics) {
    return (connection, mailbox, builder) -> builder.listener(metrics.importListener(mailbox));
  }
}
