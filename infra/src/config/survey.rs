//! Post-call surveys: which queues run a survey flow after the agent hangs up, and which
//! of its questions is the CSAT question (answers 1-5; 4 and 5 count as satisfied).
//! `[[surveys]]` in the center's file; `config/center.toml` documents it.
//!
//! The flow itself is an IVR flow file (`flows/survey.toml`), loaded and checked by the
//! process that serves the center, like the numbers' flows: the center's loader only
//! checks that the queue exists and the file is named.

use std::collections::HashSet;

use hotline_events::QueueId;
use serde::Deserialize;

use super::load::{FieldPath, Loader};

/// One queue's survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyConfig {
    pub queue: QueueId,
    /// The flow file, relative to the center's file.
    pub flow: String,
    /// The node whose answer is the CSAT score; `None`: the survey has no CSAT question.
    pub csat: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSurvey {
    queue: Option<String>,
    flow: Option<String>,
    csat: Option<String>,
}

impl Loader<'_, '_> {
    /// Validates one `[[surveys]]` entry; the queue is checked against `queues`.
    pub(super) fn survey(
        &mut self,
        path: &FieldPath,
        raw: RawSurvey,
        queues: &HashSet<String>,
    ) -> Option<SurveyConfig> {
        let queue = self.required(&path.key("queue"), raw.queue);
        let flow = self.required(&path.key("flow"), raw.flow);
        let queue = match queue {
            Some(q) if queues.contains(&q) => QueueId::new(&q).ok(),
            Some(q) => {
                self.error(
                    &path.key("queue"),
                    format!("no queue `{q}` is defined; name one of the [[queues]] ids"),
                );
                None
            }
            None => None,
        };
        let flow = match flow {
            Some(f) => self.non_empty(&path.key("flow"), f),
            None => None,
        };
        let csat = match raw.csat {
            Some(c) => Some(self.non_empty(&path.key("csat"), c)?),
            None => None,
        };
        Some(SurveyConfig {
            queue: queue?,
            flow: flow?,
            csat,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::config::CenterConfig;

    const CENTER: &str = r#"
[[queues]]
id = "sales"
name = "Sales"
strategy = "ring_all"
"#;

    #[test]
    fn a_queue_names_its_survey_flow_and_csat_question() {
        let text = format!(
            "{CENTER}\n[[surveys]]\nqueue = \"sales\"\nflow = \"survey.toml\"\ncsat = \"rate\"\n"
        );
        let config = CenterConfig::parse(&text, "center.toml").unwrap();
        let survey = config.survey(&QueueId::new("sales").unwrap()).unwrap();
        assert_eq!(survey.flow, "survey.toml");
        assert_eq!(survey.csat.as_deref(), Some("rate"));
    }

    #[test]
    fn a_survey_for_an_unknown_queue_or_without_a_flow_is_located() {
        let text = format!(
            "{CENTER}\n[[surveys]]\nqueue = \"billing\"\nflow = \"s.toml\"\n\n[[surveys]]\nqueue = \"sales\"\n"
        );
        let errors = CenterConfig::parse(&text, "center.toml")
            .unwrap_err()
            .to_string();
        assert!(
            errors.contains("surveys[0].queue: no queue `billing`"),
            "{errors}"
        );
        assert!(
            errors.contains("surveys[1].flow: `flow` is missing")
                || errors.contains("surveys[1].flow"),
            "{errors}"
        );
    }
}
