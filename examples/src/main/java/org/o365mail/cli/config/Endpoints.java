package org.o365mail.cli.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;

/**
 * The endpoint settings of a connection that are URLs: {@code authorityHost} and {@code graphBaseUrl} must be
 * https with a host and nothing after the path, since tokens travel to them.
 *
 * <p>Stateless and thread-safe.
 */
final class Endpoints {
  private Endpoints() {}

  /** The URL of {@code key} when it is https with a host and nothing after the path; else null and a problem. */
  static URI httpsUrl(String key, String text, String example, List<String> problems) {
    URI uri;
    try {
      uri = new URI(text);
    } catch (URISyntaxException e) {
      problems.add(key + " '" + ConfigText.shown(text) + "' is not a URL: write one such as " + example);
      return null;
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getHost().isEmpty()) {
      problems.add(key + " '" + ConfigText.shown(text) + "' must be an https URL with a host, such as " + example
          + " (tokens travel only over https)");
      return null;
    }
    if (uri.getRawUserInfo() != null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      problems.add(key + " '" + ConfigText.shown(text) + "' must have no user, query or fragment: write one such as "
          + example);
      return null;
    }
    return uri;
  }
}
