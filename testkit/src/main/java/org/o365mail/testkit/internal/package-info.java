/**
 * Implementation of the local tenant's servers: the HTTPS exchange and service plumbing, JSON writing, and the
 * generated TLS and signing keys. Not API: anything here may change in any release.
 */
package org.o365mail.testkit.internal;
