-- The recipient's own time zone where an event gives one (Braze Currents' `user.timezone`,
-- our JSON's `timezone`): the survey's send window goes by it before any branch's.
ALTER TABLE events ADD COLUMN zone TEXT;
