/**
 * Sockets for the mail adapters that reach their server directly or through a proxy, with their reads and writes
 * bounded: {@link org.o365mail.net.GuardedSockets} makes the plain and TLS socket factories a mail library is given
 * (an HTTP proxy through a {@code CONNECT} tunnel whose whole answer is bounded in size and time, a SOCKS5 proxy
 * through the JDK), {@link org.o365mail.net.StreamGuard} is what a protocol adds to each socket's streams, and
 * {@link org.o365mail.net.DeadlinedOutput} gives up a write the server does not take in time. Nothing here knows a
 * mail protocol: framing and its limits belong to the adapters' guards.
 *
 * <p>The factories and guards are immutable and thread-safe; each socket, and its streams, belongs to one
 * connection.
 */
package org.o365mail.net;
