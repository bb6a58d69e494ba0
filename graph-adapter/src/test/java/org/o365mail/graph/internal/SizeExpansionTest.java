package org.o365mail.graph.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.graph.models.odataerrors.MainError;
import com.microsoft.graph.models.odataerrors.ODataError;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When a request may ask for the size: once refused, never again; a plain server error is no refusal. */
class SizeExpansionTest {
  /** A Graph error answer as the SDK raises it (the status setter is for subclasses). */
  private static final class Answer extends ODataError {
    private static final long serialVersionUID = 1L;

    Answer(int status) {
      setResponseStatusCode(status);
    }
  }

  private static ODataError error(int status, String code, String message) {
    ODataError e = new Answer(status);
    MainError main = new MainError();
    main.setCode(code);
    main.setMessage(message);
    e.setError(main);
    return e;
  }

  @Test
  void aRefusal_isAnsweredWithoutExpand_andRemembered() {
    SizeExpansion sizes = new SizeExpansion();
    List<String> sent = new ArrayList<>();
    String page = sizes.run((expand, call) -> {
      sent.add(expand + " " + (call == GraphCall.READ ? "retrying" : "once"));
      if (expand) {
        throw error(500, "InternalServerError", "Value cannot be null.\r\nParameter name: type");
      }
      return "page";
    });
    assertThat(page).isEqualTo("page");
    sizes.run((expand, call) -> sent.add(expand + " later"));
    assertThat(sent).containsExactly("true once", "false retrying", "false later");
    assertThat(sizes.wanted()).isFalse();
  }

  @Test
  void aPlainServerError_isSentAgainAsAnyRead_andOtherFailuresAreThrown() {
    SizeExpansion sizes = new SizeExpansion();
    List<String> sent = new ArrayList<>();
    String page = sizes.run((expand, call) -> {
      sent.add(expand + " " + (call == GraphCall.READ ? "retrying" : "once"));
      if (call != GraphCall.READ) {
        throw error(502, "BadGateway", "");
      }
      return "page";
    });
    assertThat(page).isEqualTo("page");
    assertThat(sent).containsExactly("true once", "true retrying");
    assertThat(sizes.wanted()).isTrue();
    assertThat(sizes.call()).isEqualTo(GraphCall.READ);
    assertThatThrownBy(() -> new SizeExpansion().run((expand, call) -> {
      throw error(403, "ErrorAccessDenied", "Access is denied.");
    })).isInstanceOf(ODataError.class);
  }

  @Test
  void aBadRequestInWordsNotSeenBefore_isTriedWithoutExpand_andRemembered_onlyWhenThatSucceeds() {
    SizeExpansion sizes = new SizeExpansion();
    List<String> sent = new ArrayList<>();
    String page = sizes.run((expand, call) -> {
      sent.add(String.valueOf(expand));
      if (expand) {
        throw error(400, "BadRequest", "The query option $expand is not supported for this request.");
      }
      return "page";
    });
    assertThat(page).isEqualTo("page");
    assertThat(sent).containsExactly("true", "false");
    assertThat(sizes.wanted()).isFalse();

    SizeExpansion other = new SizeExpansion();
    assertThatThrownBy(() -> other.run((expand, call) -> {
      throw error(400, "ErrorInvalidIdMalformed", "Id is malformed.");
    })).isInstanceOf(ODataError.class);
    assertThat(other.wanted()).as("the request's own failure is not taken for a refusal").isTrue();
  }

  @Test
  void refusals_areRecognisedByStatusAndMessage() {
    assertThat(SizeExpansion.isRefusal(error(400, "BadRequest",
        "Parsing OData Select and Expand failed: Value cannot be null. (Parameter 'initialState')"))).isTrue();
    assertThat(SizeExpansion.isRefusal(error(400, "BadRequest", "Parsing OData Select and Expand failed: Could not"
        + " find a property named 'singleValueExtendedProperties' on type 'microsoft.graph.message'."))).isTrue();
    assertThat(SizeExpansion.isRefusal(error(500, "InternalServerError", "Something else"))).isFalse();
    assertThat(SizeExpansion.isRefusal(error(400, "ErrorInvalidIdMalformed", "Id is malformed."))).isFalse();
  }
}
