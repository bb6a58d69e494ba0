/**
 * "Test the mailbox connection", step by step: {@link org.o365mail.doctor.ConnectionDoctor} checks one connection
 * (authority, token, claims, mailbox, folder, a message header, credential expiry, the send path) and returns a
 * {@link org.o365mail.doctor.DoctorReport} of {@link org.o365mail.doctor.DoctorCheck}s, each failure with the
 * setup step to fix; adapters add a {@link org.o365mail.doctor.DoctorProbe} that looks closer at their protocol's
 * failures. It never throws for what it checks and never starts a sign-in.
 *
 * <p>A built doctor may examine again and from several threads; reports and checks are immutable.
 */
package org.o365mail.doctor;
