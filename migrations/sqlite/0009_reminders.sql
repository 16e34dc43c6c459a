-- One reminder per invitation, at most: part of the invitation row, claimed before it is sent
-- like the first email. NULL: not (yet) reminded; 'sending': claimed by `reminder_claimed_by`;
-- 'unknown': a run died mid-send, never resent; 'sent'; 'failed' (refused for good).
ALTER TABLE invitations ADD COLUMN reminder_status TEXT CHECK (reminder_status IN ('sending', 'sent', 'failed', 'unknown'));
ALTER TABLE invitations ADD COLUMN reminder_claimed_by TEXT;
ALTER TABLE invitations ADD COLUMN reminder_sent_at BIGINT;
ALTER TABLE invitations ADD COLUMN reminder_error TEXT;
