package org.o365mail.setup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.o365mail.SetupStep;
import org.o365mail.auth.AccountTypes;
import org.o365mail.setup.SetupGuide.Flow;
import org.o365mail.setup.SetupGuide.Instruction;
import org.o365mail.setup.SetupGuide.Protocol;

class SetupGuideTest {
  @Test
  void appOnlyImap_asTheLogicalDocGuide_endsWithTheExchangePowerShell() {
    List<Instruction> steps = SetupGuide.instructions(Flow.CLIENT_SECRET, Protocol.IMAP, AccountTypes.SINGLE_TENANT);
    assertThat(steps).extracting(Instruction::step).containsSubsequence(SetupStep.REGISTER_APP, SetupStep.CLIENT_SECRET,
        SetupStep.APPLICATION_PERMISSION, SetupStep.ADMIN_CONSENT, SetupStep.EXCHANGE_SERVICE_PRINCIPAL,
        SetupStep.MAILBOX_PERMISSION);
    assertThat(steps).filteredOn(i -> i.step() == SetupStep.APPLICATION_PERMISSION).singleElement()
        .satisfies(i -> assertThat(i.text()).contains("Office 365 Exchange Online").contains("IMAP.AccessAsApp"));
    assertThat(steps).filteredOn(i -> i.step() == SetupStep.EXCHANGE_SERVICE_PRINCIPAL).singleElement()
        .satisfies(i -> assertThat(i.command().orElseThrow()).contains("New-ServicePrincipal -AppId")
            .contains("-ObjectId"));
    assertThat(steps).noneMatch(i -> i.step() == SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS);
  }

  @Test
  void delegatedFlows_needPublicClientFlows_andInteractiveNeedsTheDesktopRedirect() {
    List<Instruction> device = SetupGuide.instructions(Flow.DEVICE_CODE, Protocol.GRAPH, AccountTypes.MULTI_TENANT);
    assertThat(device).extracting(Instruction::step).contains(SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS, SetupStep.DELEGATED_PERMISSION)
        .doesNotContain(SetupStep.EXCHANGE_SERVICE_PRINCIPAL, SetupStep.CLIENT_SECRET);
    List<Instruction> interactive = SetupGuide.instructions(Flow.INTERACTIVE, Protocol.GRAPH_SEND,
        AccountTypes.MULTI_TENANT_AND_PERSONAL);
    assertThat(interactive).filteredOn(i -> i.step() == SetupStep.REDIRECT_URI).singleElement()
        .satisfies(i -> assertThat(i.text()).contains("Mobile and desktop").contains("http://localhost"));
    assertThat(interactive).filteredOn(i -> i.step() == SetupStep.SUPPORTED_ACCOUNT_TYPES).singleElement()
        .satisfies(i -> assertThat(i.text()).contains("Leave the tenant ID blank"));
    List<Instruction> ropc = SetupGuide.instructions(Flow.USERNAME_PASSWORD, Protocol.GRAPH, AccountTypes.SINGLE_TENANT);
    assertThat(ropc).filteredOn(i -> i.step() == SetupStep.ADMIN_CONSENT).singleElement()
        .satisfies(i -> assertThat(i.text()).contains("Grant admin consent").contains("cannot show the consent prompt"));
  }

  @Test
  void interactiveSignIn_doesNotAskForPublicClientFlows_deviceCodeAndPasswordDo() {
    for (Protocol p : Protocol.values()) {
      assertThat(SetupGuide.instructions(Flow.INTERACTIVE, p, AccountTypes.SINGLE_TENANT))
          .noneMatch(i -> i.step() == SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS || i.text().contains("public client flows"));
      assertThat(SetupGuide.instructions(Flow.DEVICE_CODE, p, AccountTypes.SINGLE_TENANT))
          .anyMatch(i -> i.step() == SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS);
      assertThat(SetupGuide.instructions(Flow.USERNAME_PASSWORD, p, AccountTypes.SINGLE_TENANT))
          .anyMatch(i -> i.step() == SetupStep.ALLOW_PUBLIC_CLIENT_FLOWS);
    }
  }

  @Test
  void offlineAccess_isAskedForUnderMicrosoftGraph_neverUnderExchangeOnline() {
    for (Flow f : List.of(Flow.DEVICE_CODE, Flow.INTERACTIVE, Flow.USERNAME_PASSWORD)) {
      for (Protocol p : Protocol.values()) {
        List<Instruction> steps = SetupGuide.instructions(f, p, AccountTypes.SINGLE_TENANT);
        assertThat(steps).filteredOn(i -> i.text().contains("Office 365 Exchange Online"))
            .allSatisfy(i -> assertThat(i.text()).doesNotContain("offline_access"));
        assertThat(steps).filteredOn(i -> i.text().contains("offline_access")).isNotEmpty()
            .allSatisfy(i -> assertThat(i.text()).contains("Microsoft Graph"));
      }
    }
  }

  @Test
  void noTwoInstructionsOfAGuide_shareATitle() {
    for (Flow f : Flow.values()) {
      for (Protocol p : Protocol.values()) {
        for (AccountTypes t : List.of(AccountTypes.SINGLE_TENANT, AccountTypes.MULTI_TENANT)) {
          List<Instruction> steps = SetupGuide.instructions(f, p, t);
          assertThat(steps).extracting(Instruction::title).as("%s over %s", f, p).doesNotHaveDuplicates();
        }
      }
    }
    assertThat(SetupGuide.instructions(Flow.CLIENT_SECRET, Protocol.IMAP, AccountTypes.SINGLE_TENANT))
        .filteredOn(i -> i.step() == SetupStep.MAILBOX_PROTOCOL).extracting(Instruction::title)
        .containsExactly("IMAP enabled for the mailbox", "SMTP AUTH enabled for the mailbox");
  }

  @Test
  void impossibleCombinationsAreRefused() {
    assertThatThrownBy(() -> SetupGuide.instructions(Flow.CLIENT_SECRET, Protocol.IMAP, AccountTypes.PERSONAL_ONLY))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SetupGuide.instructions(Flow.CLIENT_SECRET, Protocol.GRAPH, AccountTypes.MULTI_TENANT_AND_PERSONAL))
        .hasMessageContaining("tenant id");
    assertThatThrownBy(() -> Flow.parse("oauth")).hasMessageContaining("device-code");
  }
}
