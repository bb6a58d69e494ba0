package org.o365mail;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Why an operation failed, traced to the setup step that was missed: the service's own code (an AADSTS
 * number, an OAuth error, a Graph error code or an IMAP/SMTP answer), the {@link SetupStep}, what happened,
 * what to do, whether retrying unchanged can help, an admin command where one fixes it, and the ids
 * Microsoft support asks for. Where Microsoft gives the same answer for several missed steps and nothing tells
 * them apart, the likelier step is this diagnosis's and the others are its {@link #alternatives()}, each with the
 * command that checks it. Immutable; holds no secret or token.
 */
public final class Diagnosis {
  private final SetupStep setupStep;
  private final String serviceCode;
  private final String summary;
  private final String fix;
  private final boolean retryable;
  private final String command;
  private final String correlationId;
  private final String traceId;
  private final List<Diagnosis> alternatives;

  private Diagnosis(Builder b) {
    this.setupStep = requireNonNull(b.setupStep, "setupStep");
    this.serviceCode = requireNonNull(b.serviceCode, "serviceCode");
    this.summary = requireNonNull(b.summary, "summary");
    this.fix = requireNonNull(b.fix, "fix");
    this.retryable = b.retryable;
    this.command = b.command;
    this.correlationId = b.correlationId;
    this.traceId = b.traceId;
    this.alternatives = List.copyOf(b.alternatives);
  }

  public static Builder builder(SetupStep step, String serviceCode) {
    return new Builder(step, serviceCode);
  }

  /** The step to revisit. */
  public SetupStep setupStep() {
    return setupStep;
  }

  /** The service's code: {@code AADSTS7000222}, {@code invalid_grant}, {@code ErrorAccessDenied}, {@code IMAP NO AUTHENTICATE failed.} */
  public String serviceCode() {
    return serviceCode;
  }

  /** What went wrong, in one sentence. */
  public String summary() {
    return summary;
  }

  /** What to do about it, in one sentence. */
  public String fix() {
    return fix;
  }

  /** Whether the same request may succeed later without any change. */
  public boolean retryable() {
    return retryable;
  }

  /** An admin command that fixes it (PowerShell), when one applies. */
  public Optional<String> command() {
    return Optional.ofNullable(command);
  }

  /** The correlation id (Entra) or client-request-id (Graph) of the failed request. */
  public Optional<String> correlationId() {
    return Optional.ofNullable(correlationId);
  }

  /** Entra's trace id or Graph's request-id. */
  public Optional<String> traceId() {
    return Optional.ofNullable(traceId);
  }

  /**
   * Other setup steps that give the same answer and could not be ruled out, less likely than this one, in order;
   * empty when the answer names one step. Each has its own fix and, where one exists, the command that checks it.
   */
  public List<Diagnosis> alternatives() {
    return alternatives;
  }

  /** A copy with the request ids set. */
  public Diagnosis withIds(String newCorrelationId, String newTraceId) {
    return toBuilder().correlationId(newCorrelationId).traceId(newTraceId).build();
  }

  public Builder toBuilder() {
    Builder b = new Builder(setupStep, serviceCode).summary(summary).fix(fix).retryable(retryable);
    b.command = command;
    b.correlationId = correlationId;
    b.traceId = traceId;
    b.alternatives.addAll(alternatives);
    return b;
  }

  /** Summary, step and fix as one human-readable message. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append(summary);
    if (!summary.endsWith(".")) {
      sb.append('.');
    }
    sb.append(" [").append(serviceCode).append("] Setup step: ").append(setupStep.title()).append(" (")
        .append(setupStep.where()).append("). Fix: ").append(fix);
    if (command != null) {
      sb.append(" Run: ").append(command);
    }
    if (correlationId != null || traceId != null) {
      sb.append(" (");
      if (correlationId != null) {
        sb.append("correlation id ").append(correlationId);
      }
      if (traceId != null) {
        sb.append(correlationId != null ? ", " : "").append("trace id ").append(traceId);
      }
      sb.append(')');
    }
    for (Diagnosis other : alternatives) {
      sb.append(" Or: ").append(other.setupStep.title()).append(" (").append(other.summary).append("). Fix: ")
          .append(other.fix);
      other.command().ifPresent(c -> sb.append(" Run: ").append(c));
    }
    return sb.toString();
  }

  @Override
  public String toString() {
    return "Diagnosis[" + setupStep + ", " + serviceCode + ", retryable=" + retryable + ": " + summary + "]";
  }

  /** Builds a {@link Diagnosis}. */
  public static final class Builder {
    private final SetupStep setupStep;
    private final String serviceCode;
    private String summary;
    private String fix;
    private boolean retryable;
    private String command;
    private String correlationId;
    private String traceId;
    private final ArrayList<Diagnosis> alternatives = new ArrayList<>();

    private Builder(SetupStep setupStep, String serviceCode) {
      this.setupStep = requireNonNull(setupStep, "setupStep");
      this.serviceCode = requireNonNull(serviceCode, "serviceCode");
    }

    public Builder summary(String value) {
      this.summary = requireNonNull(value, "summary");
      return this;
    }

    public Builder fix(String value) {
      this.fix = requireNonNull(value, "fix");
      return this;
    }

    public Builder retryable(boolean value) {
      this.retryable = value;
      return this;
    }

    public Builder command(String value) {
      this.command = value;
      return this;
    }

    public Builder correlationId(String value) {
      this.correlationId = blankToNull(value);
      return this;
    }

    public Builder traceId(String value) {
      this.traceId = blankToNull(value);
      return this;
    }

    /** Another step that gives the same answer, less likely than this one (added in order of likelihood). */
    public Builder alternative(Diagnosis value) {
      requireNonNull(value, "alternative");
      if (!value.alternatives.isEmpty()) {
        throw new IllegalArgumentException("an alternative has no alternatives of its own");
      }
      alternatives.add(value);
      return this;
    }

    /** Forgets the alternatives (copied by {@link Diagnosis#toBuilder()}). */
    public Builder clearAlternatives() {
      alternatives.clear();
      return this;
    }

    public Diagnosis build() {
      if (summary == null || fix == null) {
        throw new IllegalStateException("missing required setting(s):" + (summary == null ? " summary()" : "")
            + (fix == null ? " fix()" : ""));
      }
      return new Diagnosis(this);
    }

    private static String blankToNull(String s) {
      return s == null || s.isBlank() ? null : s;
    }
  }
}
