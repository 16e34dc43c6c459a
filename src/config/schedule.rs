//! `[schedule]` values: `"off"`, or a cron expression with seconds (6 or 7 fields), parsed once
//! when the configuration is read.
use serde::{Deserialize, Deserializer};
use std::str::FromStr;

#[derive(Debug, Clone)]
pub enum JobSchedule {
    /// This instance does not run the job.
    Off,
    Cron(Box<cron::Schedule>),
}

impl JobSchedule {
    /// The cron schedule, unless the job is off.
    pub fn cron(&self) -> Option<&cron::Schedule> {
        match self {
            JobSchedule::Off => None,
            JobSchedule::Cron(schedule) => Some(schedule),
        }
    }
}

impl FromStr for JobSchedule {
    type Err = String;

    /// `off`, or a 6- or 7-field cron expression (seconds first), with an error that says so.
    fn from_str(expr: &str) -> Result<Self, Self::Err> {
        let expr = expr.trim();
        if expr == "off" {
            return Ok(JobSchedule::Off);
        }
        let fields = expr.split_whitespace().count();
        if !(6..=7).contains(&fields) {
            return Err(format!(
                "`{expr}` has {fields} fields; expected 6 or 7 with seconds first, e.g. \"0 */15 * * * *\" (or \"off\")"
            ));
        }
        cron::Schedule::from_str(expr)
            .map(|s| JobSchedule::Cron(Box::new(s)))
            .map_err(|e| format!("`{expr}` is not a cron expression: {e}"))
    }
}

impl<'de> Deserialize<'de> for JobSchedule {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_need_seconds_or_say_off() {
        assert!(matches!(
            "0 */15 * * * *".parse::<JobSchedule>(),
            Ok(JobSchedule::Cron(_))
        ));
        assert!(matches!(
            " off ".parse::<JobSchedule>(),
            Ok(JobSchedule::Off)
        ));
        let err = "*/15 * * * *".parse::<JobSchedule>().unwrap_err();
        assert!(err.contains("expected 6 or 7"), "{err}");
        let err = "0 0 25 * * *".parse::<JobSchedule>().unwrap_err();
        assert!(err.contains("not a cron"), "{err}");
    }
}
