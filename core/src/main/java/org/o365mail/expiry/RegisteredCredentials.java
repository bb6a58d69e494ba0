package org.o365mail.expiry;

import java.util.List;

/**
 * Reads an app's registered secrets and certificates from the directory (the Graph adapter implements it with
 * {@code GET /applications(appId='...')}). The app needs {@code Application.Read.All} or to be an owner.
 */
@FunctionalInterface
public interface RegisteredCredentials {
  /**
   * The registered credentials of the app with this client id.
   *
   * @throws Unavailable when they cannot be read (no permission, network); the tracker then reports the
   *     credentials it knows from configuration only, with the reason
   */
  List<RegisteredCredential> list(String clientId) throws Unavailable;

  /**
   * A source that never reads, for a setup where the registration must not or cannot be read (e.g. an authority
   * outside Microsoft's clouds with no Graph of its own): the tracker reports {@code reason} with its statuses.
   */
  static RegisteredCredentials unavailable(String reason) {
    java.util.Objects.requireNonNull(reason, "reason");
    return clientId -> {
      throw new Unavailable(reason, null);
    };
  }

  /** The registration could not be read; {@link #getMessage()} says why in a way an admin can act on. */
  final class Unavailable extends Exception {
    private static final long serialVersionUID = 1L;

    public Unavailable(String reason, Throwable cause) {
      super(reason, cause);
    }
  }
}
