-- The survey's send window (`domain::send_window`): each invitation keeps the time zone its
-- recipient was judged to be in, so a retry also waits for their window; an invitation queued
-- outside it already waits through `next_attempt_at`.
ALTER TABLE invitations ADD COLUMN zone TEXT;
