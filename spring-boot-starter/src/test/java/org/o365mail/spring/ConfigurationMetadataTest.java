package org.o365mail.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.o365mail.auth.AccountTypes;
import org.o365mail.auth.Cloud;
import org.o365mail.setup.SetupGuide;

/**
 * The configuration metadata the starter's jar carries for IDE completion (Spring Boot's format: "Configuration
 * Metadata" in the Spring Boot reference, specification/configuration-metadata/format.html and manual-hints.html).
 * Spring's annotation processor writes {@code META-INF/spring-configuration-metadata.json} from the properties class
 * and merges {@code META-INF/additional-spring-configuration-metadata.json} into it; it describes no property of a
 * map's values (spring-boot#9945), so the keys under each connection and import name come from the additional file.
 */
class ConfigurationMetadataTest {
  private static final String METADATA = "META-INF/spring-configuration-metadata.json";

  @Test
  void everyConnectionAndImportSetter_hasAPropertyWithADescription() throws IOException {
    Map<String, JsonNode> properties = byName(metadata().path("properties"));
    for (String key : keys(O365MailProperties.Connection.class)) {
      assertThat(properties).as("o365mail.connections.*.%s in %s", key, METADATA)
          .containsKey("o365mail.connections.*." + key);
      JsonNode p = properties.get("o365mail.connections.*." + key);
      assertThat(p.path("description").asText()).as(key).isNotBlank();
      assertThat(p.path("type").asText()).as(key).isNotBlank();
    }
    for (String key : keys(O365MailProperties.Import.class)) {
      assertThat(properties).containsKey("o365mail.import.*." + key);
      assertThat(properties.get("o365mail.import.*." + key).path("description").asText()).as(key).isNotBlank();
    }
    assertThat(keys(O365MailProperties.Connection.class)).hasSize(31);
  }

  @Test
  void everyPropertyOfTheJar_hasADescription() throws IOException {
    for (JsonNode p : metadata().path("properties")) {
      assertThat(p.path("description").asText()).as(p.path("name").asText()).isNotBlank();
    }
  }

  @Test
  void theHints_listEveryValueOfTheEnumsTheyHint() throws IOException {
    Map<String, JsonNode> hints = byName(metadata().path("hints"));
    assertThat(values(hints, "o365mail.connections.*.flow")).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(SetupGuide.Flow.values()).map(f -> f.name().toLowerCase(Locale.ROOT).replace('_', '-'))
            .toList());
    // PERSONAL_ONLY is left out: AppRegistration refuses it, so completing it would only lead to a failed start
    assertThat(values(hints, "o365mail.connections.*.account-types")).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(AccountTypes.values()).filter(a -> a != AccountTypes.PERSONAL_ONLY).map(Enum::name).toList());
    assertThat(values(hints, "o365mail.connections.*.cloud")).containsExactlyInAnyOrderElementsOf(
        Arrays.stream(Cloud.values()).map(Enum::name).toList());
    assertThat(values(hints, "o365mail.connections.*.protocol")).containsExactlyInAnyOrder("graph", "imap");
    assertThat(values(hints, "o365mail.connections.*.proxy")).contains("system", "none");
    assertThat(hints.get("o365mail.connections.*.proxy").path("providers").get(0).path("name").asText())
        .as("any proxy URI may be given").isEqualTo("any");
    for (JsonNode hint : hints.values()) {
      for (JsonNode value : hint.path("values")) {
        assertThat(value.path("description").asText()).as(hint.path("name") + " " + value.path("value")).isNotBlank();
      }
    }
  }

  /** The property names of a class's setters, in Spring's kebab case. */
  private static List<String> keys(Class<?> type) {
    return Arrays.stream(type.getDeclaredMethods())
        .filter(m -> Modifier.isPublic(m.getModifiers()) && m.getName().startsWith("set") && m.getParameterCount() == 1)
        .map(Method::getName)
        .map(n -> n.substring(3).replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT))
        .sorted().toList();
  }

  private static List<String> values(Map<String, JsonNode> hints, String name) {
    assertThat(hints).as("hint %s", name).containsKey(name);
    List<String> values = new ArrayList<>();
    hints.get(name).path("values").forEach(v -> values.add(v.path("value").asText()));
    return values;
  }

  private static Map<String, JsonNode> byName(JsonNode array) {
    Map<String, JsonNode> map = new HashMap<>();
    array.forEach(n -> map.put(n.path("name").asText(), n));
    return map;
  }

  /** The starter's own metadata file (Spring's jars on the class path carry files of the same name). */
  private static JsonNode metadata() throws IOException {
    String home = O365MailProperties.class.getProtectionDomain().getCodeSource().getLocation().getPath();
    List<URL> mine = Collections.list(ConfigurationMetadataTest.class.getClassLoader().getResources(METADATA))
        .stream().filter(u -> u.toString().contains(home)).collect(Collectors.toList());
    assertThat(mine).as("the starter's %s", METADATA).hasSize(1);
    try (InputStream in = mine.get(0).openStream()) {
      return new ObjectMapper().readTree(in.readNBytes(1024 * 1024));
    }
  }
}
