package org.o365mail.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * o365-mail-bom names every published module of the reactor at the project's version, and its third-party pins
 * are the parent's. Reads the poms from the source tree (the tests run in core's directory).
 */
class BomTest {
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  private static Document read(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    f.setNamespaceAware(false);
    return f.newDocumentBuilder().parse(pom.toFile());
  }

  private static Element child(Element parent, String name) {
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        return e;
      }
    }
    return null;
  }

  private static List<Element> children(Element parent, String name) {
    List<Element> out = new ArrayList<>();
    for (Node n = parent == null ? null : parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(name)) {
        out.add(e);
      }
    }
    return out;
  }

  private static String text(Element parent, String name) {
    Element e = parent == null ? null : child(parent, name);
    return e == null ? null : e.getTextContent().trim();
  }

  private static Map<String, String> properties(Element project) {
    Map<String, String> out = new LinkedHashMap<>();
    Element props = child(project, "properties");
    for (Node n = props == null ? null : props.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e) {
        out.put(e.getTagName(), e.getTextContent().trim());
      }
    }
    return out;
  }

  /** groupId:artifactId to version, of the bom's managed dependencies. */
  private static Map<String, String> managed(Element project) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Element d : children(child(child(project, "dependencyManagement"), "dependencies"), "dependency")) {
      out.put(text(d, "groupId") + ":" + text(d, "artifactId"), text(d, "version"));
    }
    return out;
  }

  @Test
  void everyPublishedReactorModule_isInTheBom_atTheProjectVersion() throws Exception {
    Element parent = read(ROOT.resolve("pom.xml")).getDocumentElement();
    Element bom = read(ROOT.resolve("bom/pom.xml")).getDocumentElement();
    Map<String, String> managed = managed(bom);
    assertThat(text(bom, "version")).isEqualTo(text(parent, "version"));

    List<String> published = new ArrayList<>();
    for (Element module : children(child(parent, "modules"), "module")) {
      Element pom = read(ROOT.resolve(module.getTextContent().trim()).resolve("pom.xml")).getDocumentElement();
      String artifactId = text(pom, "artifactId");
      if (artifactId.equals("o365-mail-bom") || "true".equals(properties(pom).get("maven.deploy.skip"))) {
        continue;
      }
      published.add(artifactId);
      assertThat(managed).as("o365-mail-bom's entry for %s", artifactId)
          .containsEntry("org.o365mail:" + artifactId, "${project.version}");
    }
    assertThat(published).contains("o365-mail-core", "o365-mail-graph", "o365-mail-imap", "o365-mail-azure",
        "o365-mail-testkit");
    // the testing module is listed ahead of its arrival in the reactor
    assertThat(managed).containsEntry("org.o365mail:o365-mail-testing", "${project.version}");
  }

  @Test
  void theBomsThirdPartyPins_areTheParents() throws Exception {
    Map<String, String> parentProperties = properties(read(ROOT.resolve("pom.xml")).getDocumentElement());
    Element bom = read(ROOT.resolve("bom/pom.xml")).getDocumentElement();
    Map<String, String> bomProperties = properties(bom);
    assertThat(bomProperties).isNotEmpty();
    bomProperties.forEach((name, value) ->
        assertThat(value).as("bom property %s", name).isEqualTo(parentProperties.get(name)));
    // every third-party entry takes its version from one of those properties
    managed(bom).forEach((coordinates, version) -> {
      if (!coordinates.startsWith("org.o365mail:")) {
        assertThat(version).as(coordinates).matches("\\$\\{[a-z.-]+\\}");
        assertThat(bomProperties).as(coordinates).containsKey(version.substring(2, version.length() - 1));
      }
    });
    assertThat(managed(bom)).containsKeys("org.jetbrains.kotlin:kotlin-bom", "com.squareup.okhttp3:okhttp",
        "com.squareup.okio:okio", "com.google.code.gson:gson");
  }

  @Test
  void theBomHasNoParent_soImportingItBringsOnlyItsOwnPins() throws Exception {
    Element bom = read(ROOT.resolve("bom/pom.xml")).getDocumentElement();
    assertThat(child(bom, "parent")).isNull();
    assertThat(text(bom, "packaging")).isEqualTo("pom");
    assertThat(Files.exists(ROOT.resolve("bom/src"))).isFalse();
  }
}
