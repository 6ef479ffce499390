//! Replays one case against a target and writes its transcript.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{anyhow, bail, Context};
use serde_json::{json, Value};

use crate::fixture::{parse_advance, Case, Expect, Invoke, Step, OURS};
use crate::redact::Redactor;
use crate::target::Target;

/// When the clock of a controlled target starts, for every case (unix seconds).
pub const CLOCK_START: i64 = 1_700_000_000;

/// What replaying a case produced.
#[derive(Debug)]
pub enum Outcome {
    /// The redacted requests and answers, and the (action, error_code) pairs seen.
    Replayed {
        transcript: Value,
        pairs: BTreeSet<(String, String)>,
        actions: BTreeSet<String>,
    },
    /// The target lacks what the case needs.
    Skipped { reason: String },
}

/// A step answered other than the case expects, or could not be carried out.
#[derive(Debug, thiserror::Error)]
#[error("case {case:?}, step {step}: {message}")]
pub struct StepFailed {
    pub case: String,
    /// From 1.
    pub step: usize,
    /// The action or the kind of step.
    pub label: String,
    /// The difference from upstream the step is marked with.
    pub difference: Option<u32>,
    pub message: String,
    /// What the case expects and what came, when the step was answered.
    pub mismatch: Option<Mismatch>,
}

/// An expectation and the answer that did not meet it.
#[derive(Debug, Clone, thiserror::Error)]
#[error("answered {answered}, expected {expected}")]
pub struct Mismatch {
    pub expected: String,
    pub answered: String,
}

/// Resets the target and replays `case` on it, with our expectations.
pub async fn replay(target: &Target, case: &Case) -> anyhow::Result<Outcome> {
    replay_under(target, case, OURS).await
}

/// Resets the target and replays `case` on it, expecting what `profile` expects. A
/// step that fails gives a [`StepFailed`] error; a reset that fails, any other error.
pub async fn replay_under(target: &Target, case: &Case, profile: &str) -> anyhow::Result<Outcome> {
    if let Some(reason) = case.skip_profiles.get(profile) {
        return Ok(Outcome::Skipped {
            reason: format!("not applicable under profile {profile}: {reason}"),
        });
    }
    if let Some(need) = case.unmet_need(&target.offers()) {
        return Ok(Outcome::Skipped {
            reason: format!("needs {need:?}, which this target does not offer"),
        });
    }
    let target = target.for_needs(&case.needs);
    target
        .reset(CLOCK_START)
        .await
        .context("resetting the server and the user server")?;
    let mut replay = Replay {
        target,
        profile,
        redactor: Redactor::default(),
        variables: BTreeMap::new(),
        transcript: Vec::new(),
        pairs: BTreeSet::new(),
        actions: BTreeSet::new(),
        case_start: target.now(),
    };
    for (index, step) in case.steps.iter().enumerate() {
        if let Err(error) = replay.step(step).await {
            return Err(StepFailed {
                case: case.name.clone(),
                step: index + 1,
                label: step.label(),
                difference: step.difference(),
                mismatch: error.downcast_ref::<Mismatch>().cloned(),
                message: format!("{error:#}"),
            }
            .into());
        }
    }
    Ok(Outcome::Replayed {
        transcript: Value::Array(replay.transcript),
        pairs: replay.pairs,
        actions: replay.actions,
    })
}

struct Replay<'a> {
    target: &'a Target,
    profile: &'a str,
    redactor: Redactor,
    variables: BTreeMap<String, String>,
    transcript: Vec<Value>,
    pairs: BTreeSet<(String, String)>,
    actions: BTreeSet<String>,
    case_start: i64,
}

impl Replay<'_> {
    async fn step(&mut self, step: &Step) -> anyhow::Result<()> {
        match step {
            Step::Invoke(invoke) => self.invoke(invoke).await,
            Step::Request(request) => {
                let body = self.substitute(&request.body)?;
                let answer = self
                    .target
                    .request(&request.method, &request.path, body.clone())
                    .await?;
                let expected = request.expect_status_under(self.profile);
                if answer.status != expected {
                    return Err(Mismatch {
                        expected: format!("HTTP {expected}"),
                        answered: format!("HTTP {} {:?}", answer.status, answer.body),
                    }
                    .into());
                }
                // A JSON answer is redacted like an action's answer; anything else
                // (empty 400/404 bodies) is recorded as is.
                let answer_body = match serde_json::from_str::<Value>(&answer.body) {
                    Ok(parsed) => {
                        self.redactor
                            .set_time_window(self.case_start - 1, self.target.now() + 1);
                        self.redactor.redact_received(&parsed).with_context(|| {
                            format!(
                                "{} {} answered a malformed value",
                                request.method, request.path
                            )
                        })?
                    }
                    Err(_) => Value::String(answer.body),
                };
                self.transcript.push(json!({
                    "request": { "method": request.method, "path": request.path,
                                 "body": self.redactor.redact_text(&body) },
                    "status": answer.status,
                    "body": answer_body,
                }));
                Ok(())
            }
            Step::ReadCode(read) => {
                let email = self.substitute(&read.email)?;
                let answer = self
                    .target
                    .command(json!({ "command": "get_token", "action": read.kind, "email": email }))
                    .await?;
                let code = answer["code"]
                    .as_str()
                    .ok_or_else(|| anyhow!("no {} e-mail with a code to {email}", read.kind))?
                    .to_owned();
                self.transcript.push(json!({
                    "read_code": read.kind,
                    "email": email,
                    "code": self.redactor.redact_text(&code),
                }));
                self.variables.insert(read.save.clone(), code);
                Ok(())
            }
            Step::Advance(text) => {
                self.target.advance(parse_advance(text)?).await?;
                self.transcript.push(json!({ "advance": text }));
                Ok(())
            }
            Step::Fault(fault) => {
                self.target
                    .command(json!({ "command": "set_fault", "target": fault.target, "fault": fault.fault }))
                    .await?;
                self.transcript
                    .push(json!({ "fault": fault.target, "kind": fault.fault }));
                Ok(())
            }
            Step::ClearFaults => {
                self.target
                    .command(json!({ "command": "clear_faults" }))
                    .await?;
                self.transcript.push(json!("clear_faults"));
                Ok(())
            }
            Step::Backend(command) => {
                let command = self.substitute_value(command)?;
                let answer = self.target.command(command.clone()).await?;
                self.redactor
                    .set_time_window(self.case_start - 1, self.target.now() + 1);
                self.transcript.push(json!({
                    "backend": self.redactor.redact_backend(&command),
                    "answer": self.redactor.redact_backend(&answer),
                }));
                Ok(())
            }
        }
    }

    async fn invoke(&mut self, invoke: &Invoke) -> anyhow::Result<()> {
        let mut arguments = serde_json::Map::new();
        for (name, template) in &invoke.arguments {
            arguments.insert(name.clone(), Value::String(self.substitute(template)?));
        }
        let body = json!({ "action": invoke.action, "arguments": arguments });
        let answer = self.target.request("POST", "/", body.to_string()).await?;
        if answer.status != 200 {
            bail!("{} answered HTTP {}", invoke.action, answer.status);
        }
        let response: Value = serde_json::from_str(&answer.body)
            .with_context(|| format!("{} answered non-JSON {:?}", invoke.action, answer.body))?;
        self.actions.insert(invoke.action.clone());
        let outcome = match (&response["ok"], response["error_code"].as_str()) {
            (Value::Bool(true), _) => Expect::Ok,
            (Value::Bool(false), Some(code)) => {
                self.pairs.insert((invoke.action.clone(), code.to_owned()));
                Expect::Error(code.to_owned())
            }
            _ => bail!("{} answered a malformed result {response}", invoke.action),
        };
        let expected = invoke.expect_under(self.profile);
        if outcome != *expected {
            return Err(Mismatch {
                expected: match expected {
                    Expect::Ok => "ok".to_owned(),
                    Expect::Error(code) => format!("error {code}"),
                },
                answered: response.to_string(),
            }
            .into());
        }
        // An answer another profile expects to be an error has no values to save.
        let saves = if outcome == Expect::Ok {
            &invoke.save
        } else {
            &BTreeMap::new()
        };
        for (variable, path) in saves {
            let value = path
                .split('.')
                .try_fold(&response["values"], |value, part| value.get(part))
                .and_then(Value::as_str)
                .ok_or_else(|| anyhow!("{} answered no string at values.{path}", invoke.action))?;
            self.variables.insert(variable.clone(), value.to_owned());
        }
        self.redactor
            .set_time_window(self.case_start - 1, self.target.now() + 1);
        let redacted = self
            .redactor
            .redact_received(&response)
            .with_context(|| format!("{} answered a malformed value", invoke.action))?;
        self.transcript.push(json!({
            "invoke": invoke.action,
            "arguments": self.redactor.redact_sent(&Value::Object(arguments)),
            "answer": redacted,
        }));
        Ok(())
    }

    /// Replaces each `${name}` with the saved value.
    fn substitute(&self, template: &str) -> anyhow::Result<String> {
        let mut out = String::new();
        let mut rest = template;
        while let Some(start) = rest.find("${") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let end = after
                .find('}')
                .ok_or_else(|| anyhow!("unclosed ${{ in {template:?}"))?;
            let name = &after[..end];
            let value = self
                .variables
                .get(name)
                .ok_or_else(|| anyhow!("no saved value named {name:?}"))?;
            out.push_str(value);
            rest = &after[end + 1..];
        }
        out.push_str(rest);
        Ok(out)
    }

    fn substitute_value(&self, value: &Value) -> anyhow::Result<Value> {
        Ok(match value {
            Value::String(text) => Value::String(self.substitute(text)?),
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| Ok((k.clone(), self.substitute_value(v)?)))
                    .collect::<anyhow::Result<_>>()?,
            ),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|v| self.substitute_value(v))
                    .collect::<anyhow::Result<_>>()?,
            ),
            other => other.clone(),
        })
    }
}
