package org.o365mail;

import static java.util.Objects.requireNonNull;

/**
 * An attachment of a stored message.
 *
 * @param id the connector's id of the attachment within its message
 * @param name the file name ({@code ""} when none)
 * @param contentType the MIME type
 * @param size size in bytes (decoded), or -1 when unknown
 * @param inline whether it is shown inline (a picture in an HTML body)
 */
public record AttachmentInfo(String id, String name, String contentType, long size, boolean inline) {
  public AttachmentInfo {
    requireNonNull(id, "id");
    name = name == null ? "" : name;
    contentType = contentType == null ? "application/octet-stream" : contentType;
  }
}
