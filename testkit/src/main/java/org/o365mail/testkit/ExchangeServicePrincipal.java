package org.o365mail.testkit;

/**
 * What {@code New-ServicePrincipal -AppId <client id> -ObjectId <object id>} registers in Exchange Online. Exchange
 * only matches it to app-only tokens when {@code objectId} is the enterprise application's object id (the
 * token's {@code oid}); registering the app registration's object id instead is the classic mistake, and it
 * is accepted here just as the cmdlet accepts it.
 *
 * @param appId the {@code -AppId} given
 * @param objectId the {@code -ObjectId} given; also its identity for {@code Add-MailboxPermission -User}
 * @param displayName the display name shown by {@code Get-ServicePrincipal}
 */
public record ExchangeServicePrincipal(String appId, String objectId, String displayName) {}
