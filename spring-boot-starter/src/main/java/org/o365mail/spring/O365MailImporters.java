package org.o365mail.spring;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.o365mail.MailboxConnector;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.importer.CheckpointStore;
import org.o365mail.importer.HealthState;
import org.o365mail.importer.ImportCoordinator;
import org.o365mail.importer.ImportScheduler;
import org.o365mail.importer.MailImporter;
import org.o365mail.importer.MailboxHealth;
import org.o365mail.importer.MessageHandler;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.context.SmartLifecycle;

/**
 * The enabled imports ({@code o365mail.import.<name>.enabled=true}) of the application: started after the context is
 * refreshed, closed first on shutdown, each close finishing the message in hand. With a PostgreSQL checkpoint store
 * the instances share the mailboxes through an {@link ImportCoordinator} (each imports its fair share; a dead
 * instance's mailboxes are taken over); otherwise this instance imports them all.
 *
 * <p>Thread-safe: Spring starts and stops it from one thread, health is read from any.
 */
public class O365MailImporters implements SmartLifecycle {
  /** One enabled import: its connection, settings and the application's handler. */
  record Plan(String name, O365MailProperties.Connection connection, O365MailProperties.Import settings,
      MessageHandler handler) {}

  private final Map<String, Plan> plans;
  private final CheckpointStore store;
  private final ImportScheduler scheduler;
  private final BeanFactory beans;
  private final O365MailProperties.Cluster cluster;
  private final List<O365MailImporterCustomizer> customizers;
  private final Map<String, MailImporter> importers = new LinkedHashMap<>();
  private ImportCoordinator coordinator;
  private volatile boolean running;

  O365MailImporters(Map<String, Plan> plans, CheckpointStore store, ImportScheduler scheduler, BeanFactory beans,
      O365MailProperties.Cluster cluster, List<O365MailImporterCustomizer> customizers) {
    this.plans = Map.copyOf(plans);
    this.store = store;
    this.scheduler = scheduler;
    this.beans = beans;
    this.cluster = cluster;
    this.customizers = List.copyOf(customizers);
  }

  /** Whether the mailboxes are shared with other instances (PostgreSQL leases). */
  public boolean clustered() {
    return store != null && (cluster.isJdbc()
        || store.getClass().getName().equals("org.o365mail.jdbc.PostgresCheckpointStore"));
  }

  /** The names of the enabled imports (connection names), in a stable order. */
  public List<String> names() {
    return plans.keySet().stream().sorted().toList();
  }

  /** The importer of connection {@code name}, while this instance imports its mailbox. */
  public synchronized Optional<MailImporter> importer(String name) {
    if (coordinator != null) {
      Plan p = plans.get(name);
      return p == null ? Optional.empty() : coordinator.importer(p.connection().getMailbox());
    }
    return Optional.ofNullable(importers.get(name));
  }

  /** The mailbox address of connection {@code name}. */
  public Optional<String> mailbox(String name) {
    return Optional.ofNullable(plans.get(name)).map(p -> p.connection().getMailbox());
  }

  /**
   * The health of connection {@code name}'s import; {@link MailboxHealth#STOPPED} (with no diagnosis) before the
   * start, after the stop, or while another instance of the cluster imports the mailbox.
   */
  public HealthState health(String name) {
    return importer(name).map(MailImporter::health)
        .orElseGet(() -> new HealthState(mailbox(name).orElse(name), MailboxHealth.STOPPED, Instant.now(), null,
            null));
  }

  /** Whether connection {@code name}'s mailbox is imported by another instance of the cluster now. */
  public boolean elsewhere(String name) {
    return running && coordinator != null && importer(name).isEmpty();
  }

  @Override
  public synchronized void start() {
    if (running || plans.isEmpty()) {
      running = true;
      return;
    }
    if (clustered()) {
      Map<String, Plan> byMailbox = new LinkedHashMap<>();
      plans.values().forEach(p -> byMailbox.put(p.connection().getMailbox().toLowerCase(java.util.Locale.ROOT), p));
      ImportCoordinator.Builder b = ImportCoordinator.builder().checkpointStore(store).scheduler(scheduler)
          .leaseTtl(cluster.getLeaseTtl()).mailboxes(byMailbox.values().stream()
              .map(p -> p.connection().getMailbox()).toList())
          .importers(mailbox -> {
            Plan p = byMailbox.get(mailbox.toLowerCase(java.util.Locale.ROOT));
            // each lease gets a connector of its own, which the importer closes when the lease goes
            CredentialStrategy credential = beans.getBean(ConnectionBeans.credentialBean(p.name()),
                CredentialStrategy.class);
            return builder(p, Connections.connector(p.name(), p.connection(), credential));
          });
      if (cluster.getOwner() != null) {
        b.owner(cluster.getOwner());
      }
      if (cluster.getPollInterval() != null) {
        b.pollInterval(cluster.getPollInterval());
      }
      coordinator = b.build().start();
    } else {
      for (Plan p : plans.values()) {
        MailboxConnector connector = beans.getBean(ConnectionBeans.connectorBean(p.name()), MailboxConnector.class);
        importers.put(p.name(), builder(p, connector).checkpointStore(store).scheduler(scheduler).build().start());
      }
    }
    running = true;
  }

  private MailImporter.Builder builder(Plan p, MailboxConnector connector) {
    MailImporter.Builder b = MailImporter.builder().connector(connector).handler(p.handler());
    String key = "o365mail.import." + p.name();
    if (p.connection().getFolder() != null) {
      b.folder(Connections.folder(p.name(), Connections.key(p.name(), "folder"), p.connection().getFolder()));
    }
    O365MailProperties.Import s = p.settings();
    if (s.getPollInterval() != null) {
      b.pollInterval(s.getPollInterval());
    }
    if (s.getHandlerAttempts() != null) {
      b.handlerAttempts(s.getHandlerAttempts());
    }
    if (s.getPostAction() != null) {
      b.postAction(Connections.postAction(key + ".post-action", s.getPostAction()));
    }
    if (s.getParkFolder() != null) {
      b.parkFolder(Connections.folder(p.name(), key + ".park-folder", s.getParkFolder()));
    }
    for (O365MailImporterCustomizer c : customizers) {
      c.customize(p.name(), p.connection().getMailbox(), b);
    }
    return b;
  }

  /** Closes every importer: each finishes the message in hand, saves its checkpoint and releases its lease. */
  @Override
  public synchronized void stop() {
    running = false;
    if (coordinator != null) {
      coordinator.close();
      coordinator = null;
    }
    List<MailImporter> open = new ArrayList<>(importers.values());
    importers.clear();
    open.forEach(MailImporter::close);
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  /** Started after, and stopped before, everything else (the web server included): no message is cut off. */
  @Override
  public int getPhase() {
    return SmartLifecycle.DEFAULT_PHASE;
  }

  @Override
  public String toString() {
    return "O365MailImporters" + names();
  }
}
