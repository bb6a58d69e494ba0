package org.o365mail.graph;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.graph.core.requests.BaseGraphRequestAdapter;
import com.microsoft.graph.core.requests.GraphClientFactory;
import com.microsoft.graph.models.MessageCollectionResponse;
import com.microsoft.graph.models.odataerrors.ODataError;
import com.microsoft.graph.serviceclient.GraphServiceClient;
import com.microsoft.kiota.authentication.AccessTokenProvider;
import com.microsoft.kiota.authentication.AllowedHostsValidator;
import com.microsoft.kiota.authentication.BaseBearerTokenAuthenticationProvider;
import java.net.URI;
import java.util.Map;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.o365mail.auth.AccessToken;
import org.o365mail.auth.CredentialStrategy;
import org.o365mail.auth.TokenRequest;
import org.o365mail.testsupport.LeakCheck;
import org.o365mail.testsupport.Secrets;
import org.o365mail.testkit.LocalTenant;
import org.o365mail.testkit.LocalTenantExtension;
import org.o365mail.testkit.Mailbox;
import org.o365mail.testkit.RecordedRequest;
import org.o365mail.testkit.Tenant;
import org.o365mail.testkit.TestMessages;

/**
 * The first end-to-end path of the Foundation issue, Graph side: a client-credentials token from the local tenant
 * through real MSAL, then the plain Graph SDK v6 ({@code GraphServiceClient} on a {@code BaseGraphRequestAdapter}
 * whose token provider allows {@code localhost}) lists a message placed in the mailbox. And the pitfall of the test
 * rig: without {@code localhost} among the allowed hosts the SDK silently sends no token, and Graph answers 401.
 */
@Timeout(60)
@ExtendWith(LeakCheck.class)
class FirstPathGraphTest {
  @RegisterExtension static final LocalTenantExtension M365 = LocalTenantExtension.create();

  static LocalTenant m365;
  static Mailbox inbox;
  static CredentialStrategy credential;
  static OkHttpClient http;

  @BeforeAll
  static void model() throws Exception {
    m365 = M365.tenant();
    Tenant contoso = m365.createTenant("contoso.com");
    inbox = contoso.addSharedMailbox("invoices@contoso.com");
    inbox.deliver(TestMessages.text("billing@fabrikam.com", inbox.address(), "Invoice 2026-001", "Amount due: 42"));
    credential = GraphApps.clientCredentials(m365, contoso, GraphApps.daemon(contoso, "Daemon", "Mail.Read"));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(m365.trustStore());
    http = GraphClientFactory.create()
        .sslSocketFactory(m365.sslContext().getSocketFactory(), (X509TrustManager) tmf.getTrustManagers()[0])
        .build();
  }

  @AfterAll
  static void close() {
    credential.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  /** A Kiota token provider with a token fetched up front, for the hosts given. */
  static AccessTokenProvider tokenFor(String token, String... allowedHosts) {
    AllowedHostsValidator hosts = new AllowedHostsValidator(allowedHosts);
    return new AccessTokenProvider() {
      @Override
      public String getAuthorizationToken(URI uri, Map<String, Object> context) {
        return hosts.isUrlHostValid(uri) ? token : "";
      }

      @Override
      public AllowedHostsValidator getAllowedHostsValidator() {
        return hosts;
      }
    };
  }

  static GraphServiceClient graph(AccessTokenProvider provider) {
    return new GraphServiceClient(new BaseGraphRequestAdapter(new BaseBearerTokenAuthenticationProvider(provider),
        m365.graphBaseUrl(), http));
  }

  static String token() {
    AccessToken token = credential.token(TokenRequest.graph("Mail.Read"));
    Secrets.secret(token.value());
    assertThat(token.claims().roles()).contains("Mail.Read");
    return token.value();
  }

  @Test
  void msalToken_thenThePlainGraphSdk_listsTheMessage() {
    GraphServiceClient graph = graph(tokenFor(token(), "graph.microsoft.com", "localhost"));
    MessageCollectionResponse page = graph.users().byUserId(inbox.address()).mailFolders().byMailFolderId("inbox")
        .messages().get(rc -> rc.queryParameters.select = new String[] {"subject", "from"});
    assertThat(page.getValue()).singleElement().satisfies(m -> {
      assertThat(m.getSubject()).isEqualTo("Invoice 2026-001");
      assertThat(m.getFrom().getEmailAddress().getAddress()).isEqualTo("billing@fabrikam.com");
    });
  }

  @Test
  void withoutLocalhostAllowed_theSdkSendsNoToken_andGraphAnswers401() {
    m365.clearRequests();
    GraphServiceClient graph = graph(tokenFor(token(), "graph.microsoft.com"));
    assertThatThrownBy(() -> graph.users().byUserId(inbox.address()).mailFolders().byMailFolderId("inbox").messages().get())
        .isInstanceOfSatisfying(ODataError.class, e -> {
          assertThat(e.getResponseStatusCode()).isEqualTo(401);
          assertThat(e.getError().getCode()).isEqualTo("InvalidAuthenticationToken");
          assertThat(e.getError().getMessage()).isEqualTo("Access token is empty.");
        });
    assertThat(m365.requests("graph")).extracting(RecordedRequest::status).containsExactly(401);
  }
}
