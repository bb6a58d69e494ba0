package org.o365mail.auth;

import static java.util.Objects.requireNonNull;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * What a connector needs a token for: one resource, and the delegated permissions it uses there. App-only
 * strategies ask for {@code <resource>/.default} whatever the permissions; delegated strategies ask for
 * exactly these permissions plus {@code offline_access}. Immutable.
 */
public final class TokenRequest {
  private static final Pattern PERMISSION = Pattern.compile("[A-Za-z][A-Za-z0-9_.]*");

  private final Resource resource;
  private final Set<String> permissions;

  private TokenRequest(Resource resource, Set<String> permissions) {
    this.resource = requireNonNull(resource, "resource");
    this.permissions = Set.copyOf(new TreeSet<>(permissions));
  }

  /** Microsoft Graph with these delegated permissions, such as {@code Mail.ReadWrite} or {@code Mail.Send}. */
  public static TokenRequest graph(String... permissions) {
    return of(Resource.MICROSOFT_GRAPH, permissions);
  }

  /** Exchange Online for IMAP: delegated {@code IMAP.AccessAsUser.All}, app-only {@code IMAP.AccessAsApp}. */
  public static TokenRequest imap() {
    return of(Resource.EXCHANGE_ONLINE, "IMAP.AccessAsUser.All");
  }

  /** Exchange Online for SMTP AUTH: delegated {@code SMTP.Send}, app-only {@code SMTP.SendAsApp}. */
  public static TokenRequest smtp() {
    return of(Resource.EXCHANGE_ONLINE, "SMTP.Send");
  }

  public static TokenRequest of(Resource resource, String... permissions) {
    Set<String> set = new LinkedHashSet<>();
    for (String p : permissions) {
      requireNonNull(p, "permission");
      if (!PERMISSION.matcher(p).matches()) {
        throw new IllegalArgumentException("permission '" + p + "' is not a permission name such as Mail.ReadWrite;"
            + " give names without a resource prefix (the resource is " + resource + ")");
      }
      if (p.equals("offline_access") || p.equals("openid") || p.equals("profile")) {
        continue;
      }
      set.add(p);
    }
    return new TokenRequest(resource, set);
  }

  public Resource resource() {
    return resource;
  }

  /** Delegated permission names, without resource prefix. */
  public Set<String> permissions() {
    return permissions;
  }

  /** The same resource with more permissions. */
  public TokenRequest with(String... more) {
    Set<String> all = new LinkedHashSet<>(permissions);
    all.addAll(List.of(more));
    return of(resource, all.toArray(String[]::new));
  }

  /** The scope strings to send for this kind of credential in this cloud. */
  public Set<String> scopes(CredentialKind kind, Cloud cloud) {
    if (kind == CredentialKind.APP_ONLY) {
      return Set.of(resource.appOnlyScope(cloud));
    }
    Set<String> scopes = new TreeSet<>();
    String prefix = resource.delegatedResource(cloud);
    for (String p : permissions) {
      scopes.add(prefix + "/" + p);
    }
    if (scopes.isEmpty()) {
      scopes.add(prefix + "/.default");
    }
    scopes.add("offline_access");
    return scopes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenRequest t && t.resource == resource && t.permissions.equals(permissions);
  }

  @Override
  public int hashCode() {
    return resource.hashCode() * 31 + permissions.hashCode();
  }

  @Override
  public String toString() {
    return "TokenRequest[" + resource + ", " + new TreeSet<>(permissions) + "]";
  }
}
