package org.o365mail.testkit;

import jakarta.mail.Flags;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The OData query options of the Graph stand-in's message listings and delta: {@code $filter} (comparisons joined by
 * {@code and}, on the properties Exchange filters by), {@code $orderby} ({@code receivedDateTime}), {@code $select}
 * (in Graph's property order) and the size in {@code $expand}; each refused with the error Graph gives. Stateless.
 */
final class ODataQuery {
  private ODataQuery() {}

  /** One comparison of a {@code $filter}: property, operator, literal. */
  record Clause(String property, String operator, String value) {}

  private static GraphError invalidFilter() {
    return new GraphError(400, "ErrorInvalidUrlQueryFilter", "The query filter contains one or more invalid nodes.");
  }

  /**
   * Parses {@code prop op literal [and prop op literal]...} for receivedDateTime (eq ne ge gt le lt), isRead,
   * isDraft, hasAttachments (eq ne true/false), subject and from/emailAddress/address (eq ne 'text').
   */
  static List<Clause> parseFilter(String text) throws GraphError {
    List<String> tokens = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '\'') {
        if (quoted && i + 1 < text.length() && text.charAt(i + 1) == '\'') {
          current.append('\'');
          i++;
          continue;
        }
        quoted = !quoted;
        current.append(c);
      } else if (Character.isWhitespace(c) && !quoted) {
        if (current.length() > 0) {
          tokens.add(current.toString());
          current.setLength(0);
        }
      } else {
        current.append(c);
      }
    }
    if (quoted) {
      throw invalidFilter();
    }
    if (current.length() > 0) {
      tokens.add(current.toString());
    }
    List<Clause> clauses = new ArrayList<>();
    int i = 0;
    while (true) {
      if (i + 3 > tokens.size()) {
        throw invalidFilter();
      }
      String property = canonicalFilterProperty(tokens.get(i));
      String op = tokens.get(i + 1).toLowerCase(Locale.ROOT);
      String literal = tokens.get(i + 2);
      validate(property, op, literal);
      clauses.add(new Clause(property, op, literal));
      i += 3;
      if (i == tokens.size()) {
        return clauses;
      }
      if (!tokens.get(i).equalsIgnoreCase("and")) {
        throw invalidFilter();
      }
      i++;
    }
  }

  private static String canonicalFilterProperty(String token) throws GraphError {
    for (String p :
        List.of("receivedDateTime", "isRead", "isDraft", "hasAttachments", "subject", "from/emailAddress/address")) {
      if (p.equalsIgnoreCase(token)) {
        return p;
      }
    }
    throw invalidFilter();
  }

  private static void validate(String property, String op, String literal) throws GraphError {
    switch (property) {
      case "receivedDateTime" -> {
        if (!Set.of("eq", "ne", "ge", "gt", "le", "lt").contains(op)) {
          throw invalidFilter();
        }
        instant(literal);
      }
      case "isRead", "isDraft", "hasAttachments" -> {
        if (!Set.of("eq", "ne").contains(op) || !(literal.equals("true") || literal.equals("false"))) {
          throw invalidFilter();
        }
      }
      default -> {
        boolean quoted = literal.length() >= 2 && literal.startsWith("'") && literal.endsWith("'");
        if (!Set.of("eq", "ne").contains(op) || !quoted) {
          throw invalidFilter();
        }
      }
    }
  }

  /** An OData date-time literal: {@code 2026-01-01T00:00:00Z}, with an offset, without a zone (UTC), or a date. */
  static Instant instant(String literal) throws GraphError {
    String s = literal.replace("'", "");
    try {
      return Instant.parse(s);
    } catch (DateTimeParseException e) {
      // try the other forms
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      // try the other forms
    }
    try {
      return LocalDateTime.parse(s).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      // try the other forms
    }
    try {
      return LocalDate.parse(s).atStartOfDay().toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      throw invalidFilter();
    }
  }

  /** What the {@code $filter} clauses (all of them) let through. */
  static Predicate<GraphMessages.Item> predicate(List<Clause> clauses) throws GraphError {
    Predicate<GraphMessages.Item> all = i -> true;
    for (Clause c : clauses) {
      all = all.and(predicate(c));
    }
    return all;
  }

  private static Predicate<GraphMessages.Item> predicate(Clause c) throws GraphError {
    boolean negate = c.operator().equals("ne");
    switch (c.property()) {
      case "receivedDateTime" -> {
        Instant bound = instant(c.value());
        String op = c.operator();
        return i -> {
          int cmp = i.message().getReceivedDate().toInstant().compareTo(bound);
          return switch (op) {
            case "eq" -> cmp == 0;
            case "ne" -> cmp != 0;
            case "ge" -> cmp >= 0;
            case "gt" -> cmp > 0;
            case "le" -> cmp <= 0;
            default -> cmp < 0;
          };
        };
      }
      case "isRead", "isDraft", "hasAttachments" -> {
        boolean wanted = Boolean.parseBoolean(c.value()) != negate;
        return switch (c.property()) {
          case "isRead" -> i -> i.message().isSet(Flags.Flag.SEEN) == wanted;
          case "isDraft" -> i -> i.message().isSet(Flags.Flag.DRAFT) == wanted;
          default -> i -> GraphMime.hasAttachments(i.message().getMimeMessage()) == wanted;
        };
      }
      default -> {
        String wanted = c.value().substring(1, c.value().length() - 1).replace("''", "'");
        boolean subject = c.property().equals("subject");
        return i -> {
          MimeMessage m = i.message().getMimeMessage();
          String actual =
              subject
                  ? MessageJson.subject(m)
                  : GraphMime.addresses(m, "From").stream().findFirst().map(InternetAddress::getAddress).orElse("");
          return actual.equalsIgnoreCase(wanted) != negate;
        };
      }
    }
  }

  /**
   * The order {@code $orderby} asks for: {@code receivedDateTime} ascending or descending (newest first without
   * one); with a {@code $filter} it must lead with {@code receivedDateTime} too, as Exchange requires.
   */
  static Comparator<GraphMessages.Item> order(Optional<String> orderBy, List<Clause> clauses) throws GraphError {
    Comparator<GraphMessages.Item> order = GraphMessages.BY_RECEIVED.reversed();
    if (orderBy.isPresent()) {
      String[] parts = orderBy.get().trim().split("\\s+");
      if (!parts[0].equalsIgnoreCase("receivedDateTime") || parts.length > 2
          || (parts.length == 2 && !parts[1].equalsIgnoreCase("desc") && !parts[1].equalsIgnoreCase("asc"))) {
        throw GraphError.badRequest(
            "The testkit's Graph stand-in orders messages only by receivedDateTime (asc or desc), not '"
                + orderBy.get() + "'.");
      }
      order = parts.length == 2 && parts[1].equalsIgnoreCase("desc")
          ? GraphMessages.BY_RECEIVED.reversed() : GraphMessages.BY_RECEIVED;
      if (!clauses.isEmpty() && !clauses.get(0).property().equals("receivedDateTime")) {
        throw new GraphError(
            400, "InefficientFilter", "The restriction or sort order is too complex for this operation.");
      }
    }
    return order;
  }

  /** The {@code $select}ed message properties in Graph's order, or null for the default set. */
  static List<String> select(GraphRequest req) throws GraphError {
    Optional<String> select = req.option("$select");
    if (select.isEmpty()) {
      return null;
    }
    return parseSelect(select.get());
  }

  static List<String> parseSelect(String select) throws GraphError {
    Set<String> wanted = new LinkedHashSet<>();
    for (String raw : select.split(",")) {
      String name = raw.trim();
      if (name.isEmpty() || name.equalsIgnoreCase("id")) {
        continue;
      }
      Optional<String> canonical =
          Stream.concat(MessageJson.PROPERTIES.stream(), MessageJson.SELECT_ONLY.stream())
              .filter(p -> p.equalsIgnoreCase(name))
              .findFirst();
      if (canonical.isEmpty()) {
        throw new GraphError(400, "RequestBroker--ParseUri",
            "Could not find a property named '" + name + "' on type 'Microsoft.OutlookServices.Message'.");
      }
      wanted.add(canonical.get());
    }
    List<String> ordered = new ArrayList<>();
    for (String p : MessageJson.PROPERTIES) {
      if (wanted.contains(p)) {
        ordered.add(p);
      }
    }
    for (String p : MessageJson.SELECT_ONLY) {
      if (wanted.contains(p)) {
        ordered.add(p);
      }
    }
    return ordered;
  }

  private static final java.util.regex.Pattern SIZE_EXPAND = java.util.regex.Pattern.compile(
      "(?i)\\s*singleValueExtendedProperties\\s*\\(\\s*\\$filter\\s*=\\s*id\\s+eq\\s+'Integer\\s+0x0*e08'\\s*\\)\\s*");

  /**
   * Whether a {@code $expand} asks for the message size as Graph serves MAPI properties: {@code
   * singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')} (hex digits in any case, leading zeros or not).
   * Other expansions are ignored, as before.
   */
  static boolean expandsSize(String expand) {
    if (expand == null) {
      return false;
    }
    for (String part : expand.split(",(?![^(]*\\))")) {
      if (SIZE_EXPAND.matcher(part).matches()) {
        return true;
      }
    }
    return false;
  }
}
