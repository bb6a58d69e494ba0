package org.o365mail.spring;

import java.util.stream.Stream;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;

/**
 * Spring Boot 4's health API (module spring-boot-health): the same contributor {@code o365mail} as {@link
 * O365MailHealthAutoConfiguration} gives on Boot 3, one indicator per enabled import named after its connection.
 *
 * <p>Thread-safe: the indicators only read the importers' health.
 */
@AutoConfiguration(after = O365MailAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
@ConditionalOnBean(O365MailImporters.class)
public class O365MailHealthContributorAutoConfiguration {

  /** The composite {@code o365mail}: its bean name less the suffix is its name in the health endpoint. */
  @Bean
  @ConditionalOnMissingBean(name = "o365mailHealthContributor")
  public CompositeHealthContributor o365mailHealthContributor(O365MailImporters importers) {
    return new Imports(importers);
  }

  /** Reads the importers' health at each request. */
  private record Imports(O365MailImporters importers) implements CompositeHealthContributor {
    @Override
    public HealthContributor getContributor(String name) {
      return importers.names().contains(name) ? indicator(name) : null;
    }

    @Override
    public Stream<Entry> stream() {
      return importers.names().stream().map(n -> new Entry(n, indicator(n)));
    }

    private HealthIndicator indicator(String name) {
      return () -> {
        var state = importers.health(name);
        boolean elsewhere = importers.elsewhere(name);
        return Health.status(new Status(HealthMapping.status(state, elsewhere)))
            .withDetails(HealthMapping.details(state, elsewhere)).build();
      };
    }
  }
}
