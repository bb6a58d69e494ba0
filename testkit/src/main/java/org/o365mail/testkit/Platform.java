package org.o365mail.testkit;

/** Platforms of Authentication &gt; Platform configurations, each with its own redirect URIs. */
public enum Platform {
  WEB,
  SINGLE_PAGE_APPLICATION,
  MOBILE_AND_DESKTOP
}
