package org.o365mail.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.icegreen.greenmail.imap.ImapHostManager;
import com.icegreen.greenmail.imap.ImapHostManagerImpl;
import com.icegreen.greenmail.store.MailFolder;
import com.icegreen.greenmail.user.GreenMailUser;
import com.icegreen.greenmail.user.UserManager;
import jakarta.mail.Flags;
import jakarta.mail.Session;
import jakarta.mail.internet.MimeMessage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The indexed view of a GreenMail folder answers exactly as GreenMail's folder does, whatever happened to it. */
class IndexedFolderTest {
  private static final Session SESSION = Session.getInstance(new Properties());

  private static MimeMessage message(int i) throws Exception {
    String mime = "From: a@fabrikam.com\r\nTo: b@contoso.com\r\nSubject: M" + i + "\r\n\r\nbody " + i + "\r\n";
    return new MimeMessage(SESSION, new ByteArrayInputStream(mime.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void lookUpsByUid_matchGreenMailsOwn_throughAppendsExpungesMovesAndClears() throws Exception {
    ImapHostManager hosts = new ImapHostManagerImpl(new IndexedStore());
    GreenMailUser user = new UserManager(hosts).createUser("b@contoso.com", "b@contoso.com", "pw");
    MailFolder inbox = hosts.getInbox(user);
    MailFolder archive = hosts.createMailbox(user, "INBOX.Archive");
    assertThat(inbox).isInstanceOf(IndexedFolder.class).isSameAs(hosts.getInbox(user));
    MailFolder own = IndexedFolder.unwrap(inbox);
    assertThat(own).isNotInstanceOf(IndexedFolder.class);

    Random random = new Random(7);
    List<Long> gone = new ArrayList<>();
    int n = 0;
    for (int step = 0; step < 300; step++) {
      int op = random.nextInt(10);
      long[] uids = own.getMessageUids();
      if (step == 250) {
        for (long uid : uids) {
          gone.add(uid);
        }
        inbox.deleteAllMessages();
        assertThat(inbox.getMessageCount()).isZero();
      } else if (op < 6 || uids.length == 0) {
        inbox.appendMessage(message(n++), new Flags(), new Date());
      } else if (op < 8) {
        long uid = uids[random.nextInt(uids.length)];
        inbox.setFlags(new Flags(Flags.Flag.DELETED), true, uid, null, false);
        inbox.expunge();
        gone.add(uid);
      } else {
        long uid = uids[random.nextInt(uids.length)];
        inbox.moveMessage(uid, archive);
        gone.add(uid);
      }
      long[] now = own.getMessageUids();
      assertThat(inbox.getMessageUids()).isEqualTo(now);
      for (long uid : now) {
        assertThat(inbox.getMsn(uid)).isEqualTo(own.getMsn(uid));
        assertThat(inbox.getMessage(uid)).isSameAs(own.getMessage(uid));
      }
      for (long uid : gone) {
        assertThat(inbox.getMessage(uid)).isNull();
      }
    }
    assertThat(IndexedFolder.unwrap(archive).getMessageCount()).isEqualTo(archive.getMessageCount()).isPositive();
  }
}
