package org.o365mail.testkit;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** The HTML of the sign-in pages the identity endpoint serves, and the escaping they need. Stateless. */
final class SignInPages {
  private SignInPages() {}

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String page(String title, String body) {
    return "<!DOCTYPE html><html><head><title>" + escape(title) + "</title></head><body><h1>" + escape(title)
        + "</h1>" + body + "</body></html>";
  }

  static String escape(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
