package org.o365mail.cli.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import org.o365mail.auth.AppRegistration;

/**
 * The endpoint settings of a connection: {@code authorityHost} and {@code graphBaseUrl} must be https with a host
 * and nothing after the path, since tokens travel to them, and {@code graphRequestWindow} is the request budget
 * Graph allows per app and mailbox.
 *
 * <p>Stateless and thread-safe.
 */
final class Endpoints {
  private Endpoints() {}

  /** The sign-in endpoint of {@code <name>.authorityHost}, only a scheme and a host; else null and a problem. */
  static URI authorityHost(String name, String authority, List<String> problems) {
    URI uri = httpsUrl(name + ".authorityHost", authority, "https://login.microsoftonline.com", problems);
    if (uri != null) {
      try {
        AppRegistration.builder().authorityHost(uri);
        return uri;
      } catch (IllegalArgumentException e) {
        problems.add(name + ".authorityHost '" + ConfigText.shown(authority) + "' must be only the scheme and host,"
            + " such as https://login.microsoftonline.com: the tenant is set with " + name + ".tenant");
      }
    }
    return null;
  }

  /** {@code <name>.graphRequestWindow} as {requests, seconds}; else null and a problem. */
  static int[] graphRequestWindow(String name, String window, List<String> problems) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s*(\\d{1,9})\\s*/\\s*(\\d{1,7})\\s*").matcher(window);
    if (!m.matches() || Integer.parseInt(m.group(1)) < 40 || Integer.parseInt(m.group(2)) < 1) {
      problems.add(name + ".graphRequestWindow '" + ConfigText.shown(window) + "' must be <requests>/<seconds>,"
          + " at least 40 requests,"
          + " such as 10000/600 (Exchange's window per app and mailbox)");
      return null;
    }
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
  }

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
