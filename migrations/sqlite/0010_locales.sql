-- The survey's language. On an event: the recipient's language as the sender gave it (a BCP 47
-- tag, `ar-EG`). On an invitation: the shipped catalog chosen when it was queued (`ar`) — from
-- the recipient's latest click that named one, else the campaign's, else `[surveys]
-- default_locale`; the email, its reminder and the pages all use it. NULL (rows from before):
-- the default.
ALTER TABLE events ADD COLUMN locale TEXT;
ALTER TABLE invitations ADD COLUMN locale TEXT;
