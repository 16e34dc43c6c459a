-- A reminder that falls due outside its recipient's send window waits for the next opening
-- (`domain::send_window`): it is not claimed again before this time.
ALTER TABLE invitations ADD COLUMN reminder_not_before BIGINT;
