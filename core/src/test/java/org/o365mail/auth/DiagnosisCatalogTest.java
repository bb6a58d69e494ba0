package org.o365mail.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.o365mail.Diagnosis;
import org.o365mail.SetupStep;

class DiagnosisCatalogTest {
  static final AppRegistration APP = AppRegistration.builder()
      .clientId("1b2c3d4e-0000-1111-2222-333344445555").tenant("contoso.com").build();

  static Diagnosis diagnose(String error, int code, AuthFlow flow) {
    return AuthErrors.diagnose(error, "AADSTS" + code + ": text. Trace ID: 0d5c3a2e-1111-2222-3333-444455556666"
        + " Correlation ID: x Timestamp: y", "corr-1", new AuthContext(APP, flow, Set.of("Mail.ReadWrite"), null, null));
  }

  /** Every code of the reference catalogue (§4) has an entry. */
  @Test
  void coversTheReferenceCatalogue() {
    int[] reference = {7000215, 7000222, 700016, 700011, 7000112, 70001, 90002, 50128, 50059, 65001, 90094, 90095,
        50126, 50053, 50076, 50079, 50072, 50158, 50034, 50020, 50057, 50055, 50144, 7000218, 700025, 700024, 700027,
        500011, 70011, 1002012, 700022, 650056, 650057, 9002313, 9001023, 50194, 90130, 9002332, 50011, 70004, 53003,
        530035, 53000, 53001, 50173, 70043, 700082, 70008, 54005, 50196, 50033, 50087, 90006, 90024, 90090, 90033,
        90055, 70019, 70018, 90120, 90038, 500208};
    for (int code : reference) {
      assertThat(AadstsCatalog.lookup(code)).as("AADSTS%d", code).isPresent();
    }
  }

  /** Each answer of the testkit maps to the setup step an admin must revisit. */
  @Test
  void testkitCodesMapToTheirSetupStep() {
    Map<Integer, SetupStep> expected = Map.ofEntries(
        Map.entry(7000215, SetupStep.CLIENT_SECRET), Map.entry(7000222, SetupStep.CLIENT_SECRET),
        Map.entry(700016, SetupStep.REGISTER_APP), Map.entry(90002, SetupStep.TENANT),
        Map.entry(900023, SetupStep.TENANT), Map.entry(65001, SetupStep.ADMIN_CONSENT),
        Map.entry(50126, SetupStep.USER_CREDENTIALS), Map.entry(50076, SetupStep.CONDITIONAL_ACCESS),
        Map.entry(50034, SetupStep.USER_ACCOUNT), Map.entry(50057, SetupStep.USER_ACCOUNT),
        Map.entry(50055, SetupStep.USER_ACCOUNT), Map.entry(7000218, SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS),
        Map.entry(700025, SetupStep.CLIENT_SECRET), Map.entry(1002012, SetupStep.SCOPES),
        Map.entry(700022, SetupStep.SCOPES), Map.entry(70011, SetupStep.SCOPES),
        Map.entry(9001023, SetupStep.SUPPORTED_ACCOUNT_TYPES), Map.entry(700027, SetupStep.CERTIFICATE),
        Map.entry(700082, SetupStep.SIGN_IN_AGAIN), Map.entry(50173, SetupStep.SIGN_IN_AGAIN),
        Map.entry(50194, SetupStep.SUPPORTED_ACCOUNT_TYPES), Map.entry(7000112, SetupStep.REGISTER_APP),
        Map.entry(500011, SetupStep.SCOPES), Map.entry(50011, SetupStep.REDIRECT_URI),
        Map.entry(70019, SetupStep.SIGN_IN_AGAIN), Map.entry(70000, SetupStep.SIGN_IN_AGAIN),
        Map.entry(90033, SetupStep.SERVICE), Map.entry(700024, SetupStep.CERTIFICATE));
    expected.forEach((code, step) -> {
      Diagnosis d = diagnose("invalid_grant", code, AuthFlow.PASSWORD);
      assertThat(d.setupStep()).as("AADSTS%d", code).isEqualTo(step);
      assertThat(d.serviceCode()).isEqualTo("AADSTS" + code);
      assertThat(d.fix()).isNotBlank();
      assertThat(d.traceId()).contains("0d5c3a2e-1111-2222-3333-444455556666");
      assertThat(d.correlationId()).contains("corr-1");
    });
  }

  @Test
  void retryableOnlyForTransientAnswers() {
    assertThat(diagnose("temporarily_unavailable", 90033, AuthFlow.CLIENT_SECRET).retryable()).isTrue();
    assertThat(diagnose("invalid_client", 7000215, AuthFlow.CLIENT_SECRET).retryable()).isFalse();
    assertThat(diagnose("invalid_grant", 50126, AuthFlow.PASSWORD).retryable()).isFalse();
  }

  @Test
  void flowDecidesWhat7000218Means() {
    assertThat(diagnose("invalid_client", 7000218, AuthFlow.INTERACTIVE).setupStep()).isEqualTo(SetupStep.REDIRECT_URI);
    assertThat(diagnose("invalid_client", 7000218, AuthFlow.DEVICE_CODE).setupStep())
        .isEqualTo(SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS);
    assertThat(diagnose("invalid_client", 7000218, AuthFlow.CLIENT_SECRET).setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
  }

  @Test
  void unknownCodesFallBackOnTheOAuthError() {
    assertThat(diagnose("invalid_scope", 999999, AuthFlow.PASSWORD).setupStep()).isEqualTo(SetupStep.SCOPES);
    assertThat(diagnose("temporarily_unavailable", 999998, AuthFlow.PASSWORD).retryable()).isTrue();
    assertThat(AuthErrors.diagnose("weird", "no code here", null,
        new AuthContext(APP, AuthFlow.PASSWORD, Set.of(), null, null)).setupStep()).isEqualTo(SetupStep.UNKNOWN);
  }

  @Test
  void secretIdShapedValue_isCalledOut() {
    Diagnosis d = AuthErrors.diagnose("invalid_client", "AADSTS7000215: Invalid client secret provided.", null,
        new AuthContext(APP, AuthFlow.CLIENT_SECRET, Set.of(), ClientSecret.of("6c1b9a4e-1234-4c2b-9a8e-0f1e2d3c4b5a"), null));
    assertThat(d.summary()).contains("Secret ID");
  }

  @Test
  void aValueThatCannotBeASecretId_isNotAskedAboutOne() {
    Diagnosis d = AuthErrors.diagnose("invalid_client", "AADSTS7000215: Invalid client secret provided.", null,
        new AuthContext(APP, AuthFlow.CLIENT_SECRET, Set.of(), ClientSecret.of("Xy8Q~notAGuid.value_1234567890abcd"),
            null));
    assertThat(d.setupStep()).isEqualTo(SetupStep.CLIENT_SECRET);
    assertThat(d.describe()).doesNotContainIgnoringCase("secret id").contains("not a current secret");
  }

  @Test
  void appNotFoundInTheTenant_offersTheVendorAndTheCustomerWays_withoutAssumingMultitenant() {
    Diagnosis d = AuthErrors.diagnose("unauthorized_client", "AADSTS700016: Application with identifier 'x' was not"
        + " found in the directory 'customer.com'.", null, new AuthContext(APP, AuthFlow.CLIENT_SECRET, Set.of(),
        null, null));
    assertThat(d.setupStep()).isEqualTo(SetupStep.REGISTER_APP);
    assertThat(d.fix()).contains("the vendor changes its Supported account types to multitenant")
        .contains("registers its own app").doesNotStartWith("a multitenant app must");
    // nothing in the answer tells a mistyped client id from another tenant's id or a vendor's single-tenant app
    assertThat(d.alternatives()).extracting(Diagnosis::setupStep)
        .containsExactly(SetupStep.TENANT, SetupStep.SUPPORTED_ACCOUNT_TYPES);
    assertThat(d.alternatives().get(0).command()).hasValueSatisfying(c -> assertThat(c).contains("Get-MgServicePrincipal"));
  }

  @Test
  void everyDeviceCodePollError_keepsItsAadstsCodeAndStep() {
    Map<String, Integer> answers = Map.of("authorization_declined", 70000, "expired_token", 70019,
        "bad_verification_code", 70018);
    answers.forEach((error, code) -> {
      Diagnosis withCode = AuthErrors.diagnose(error, "AADSTS" + code + ": the poll's answer", null,
          new AuthContext(APP, AuthFlow.DEVICE_CODE, Set.of(), null, null));
      assertThat(withCode.serviceCode()).as(error).isEqualTo("AADSTS" + code);
      assertThat(withCode.setupStep()).as(error).isEqualTo(SetupStep.SIGN_IN_AGAIN);
      Diagnosis bare = AuthErrors.diagnose(error, "", null,
          new AuthContext(APP, AuthFlow.DEVICE_CODE, Set.of(), null, null));
      assertThat(bare.setupStep()).as(error).isEqualTo(SetupStep.SIGN_IN_AGAIN);
      assertThat(bare.serviceCode()).as(error).isEqualTo(error);
    });
    assertThat(AuthErrors.diagnose("invalid_request", "AADSTS900432: Confidential Client is not supported in Cross"
        + " Cloud request.", null, new AuthContext(APP, AuthFlow.CLIENT_SECRET, Set.of(), null, null)).setupStep())
        .isEqualTo(SetupStep.TENANT);
  }
}
