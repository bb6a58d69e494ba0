package org.o365mail.spring;

import java.util.Iterator;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.NamedContributor;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Spring Boot 3's Actuator: the health contributor {@code o365mail}, one indicator per enabled import named after
 * its connection ({@code /actuator/health/o365mail/<name>}); see {@link O365MailImporters#health(String)} for the
 * states and the README for how each reads. Spring Boot 4 gets the same from {@link
 * O365MailHealthContributorAutoConfiguration}.
 *
 * <p>Thread-safe: the indicators only read the importers' health.
 */
@AutoConfiguration(after = O365MailAutoConfiguration.class)
@ConditionalOnClass(name = "org.springframework.boot.actuate.health.HealthIndicator")
@ConditionalOnBean(O365MailImporters.class)
public class O365MailHealthAutoConfiguration {

  /** The composite {@code o365mail}: its bean name less the suffix is its name in the health endpoint. */
  @Bean
  @ConditionalOnMissingBean(name = "o365mailHealthContributor")
  public CompositeHealthContributor o365mailHealthContributor(O365MailImporters importers) {
    return new Imports(importers);
  }

  /** Reads the importers' health at each request: an import started after the endpoint was built shows too. */
  private record Imports(O365MailImporters importers) implements CompositeHealthContributor {
    @Override
    public HealthContributor getContributor(String name) {
      return importers.names().contains(name) ? indicator(name) : null;
    }

    @Override
    public Iterator<NamedContributor<HealthContributor>> iterator() {
      return importers.names().stream()
          .map(n -> NamedContributor.<HealthContributor>of(n, indicator(n))).iterator();
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
