-- A finding about a link of the email (`link_broken`) names the link it is about.
ALTER TABLE findings ADD COLUMN target_link TEXT;
