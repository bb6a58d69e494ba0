/**
 * Implementation of core: the MSAL glue behind the credential strategies, retry and back-off, redaction of
 * service text, bounded and atomic file access, and the threads the SDK starts. Not API: exported by no module
 * description, left out of the API check, and anything here may change in any release.
 */
package org.o365mail.internal;
