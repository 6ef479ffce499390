//! Properties of the server over generated inputs.
//!
//! (a) `flows_match_the_reference_model`: random sequences of valid and corrupted steps
//!     over every flow; each answer's `ok` / `error_code` must be what a reference model
//!     of users and flows (tests/properties/model.rs) predicts from the contract.
//! (b) `arbitrary_bodies_*`: random bytes, random JSON and mutated envelopes get 200
//!     with a well-formed result, 400 with an empty body, or 413 past the body limit,
//!     exactly as the envelope rules decide; never a 5xx or a dropped connection.
//! (c) `returned_values_have_documented_shapes`: over generated flows with generated
//!     addresses and passwords, every id, token, code and temporary password has its
//!     documented shape, records have their documented members and lifetimes, and no
//!     id is issued twice. (The model test checks the same on every answer.)
//!
//! The servers start once per test binary, on a shared tokio runtime; the tests take
//! turns, since (a) and (c) reset the server at the start of each case. With
//! `CONFORMANCE_SERVER_URL` set, (b) and (c) run against that server; (a), which needs
//! the manual clock and the fake pwned-passwords API, always runs against our server
//! in-process.

// Test code: a failed expectation panics.
#![allow(clippy::expect_used, clippy::panic)]

#[path = "properties/model/mod.rs"]
mod model;
#[path = "properties/steps/mod.rs"]
mod steps;
mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Mutex, MutexGuard, OnceLock};

use conformance::runner::CLOCK_START;
use conformance::target::Target;
use proptest::collection::{hash_map, vec};
use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::{Config, TestCaseError};
use serde_json::{json, Map, Value};
use tokio::runtime::Runtime;

use steps::*;
use support::{action_spec, check_alive, check_result, check_result_of, ACTIONS};

struct Shared {
    runtime: Runtime,
    /// The server under test: ours in-process, or the external one.
    target: Target,
    /// Our in-process server, also started when `target` is external: the model test
    /// needs its manual clock and fake range API, so it always runs here.
    in_process: Option<Target>,
}

impl Shared {
    fn in_process(&self) -> &Target {
        self.in_process.as_ref().unwrap_or(&self.target)
    }
}

fn shared() -> &'static Shared {
    static SHARED: OnceLock<Shared> = OnceLock::new();
    SHARED.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            // Flows run on the workers; their futures are large unoptimised.
            .thread_stack_size(32 * 1024 * 1024)
            .enable_all()
            .build()
            .expect("tokio runtime");
        let target = runtime
            .block_on(Target::from_env())
            .expect("the server under test");
        let in_process = target.is_external().then(|| {
            runtime
                .block_on(conformance::in_process::start())
                .expect("the in-process server")
        });
        Shared {
            runtime,
            target,
            in_process,
        }
    })
}

/// One test at a time on the shared servers.
fn turn() -> MutexGuard<'static, ()> {
    static TURN: Mutex<()> = Mutex::new(());
    TURN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn config(cases: u32) -> Config {
    Config {
        cases,
        // Shrinking replays whole flows (with password hashing): keep it bounded.
        max_shrink_iters: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

// ---------------------------------------------------------------------------
// (a) flows against the reference model
// ---------------------------------------------------------------------------

const EMAILS: &[&str] = &[
    "alice@example.com",
    "bob@example.com",
    // Addresses are compared byte for byte: another address than alice's.
    "Alice@example.com",
];
const BAD_EMAILS: &[&str] = &[
    "not-an-address",
    "two@at@example.com",
    "dollar$@example.com",
    "",
    "ünicode@example.com",
];
const STRONG_PASSWORDS: &[&str] = &[
    "correct horse battery",
    // 10 code points, 12 bytes: long enough.
    "pässwörd12",
    "another-secret-42",
];
const BAD_PASSWORDS: &[&str] = &[
    "short1234",
    // 9 code points, 17 bytes: too short.
    "ääääääää9",
    // 101 code points: too long.
    concat!(
        "0123456789012345678901234567890123456789012345678901234567890123456789",
        "0123456789012345678901234567890"
    ),
    "password1234",
    "qwertyuiop123",
];

fn email() -> BoxedStrategy<Email> {
    prop_oneof![
        6 => Just(EMAILS[0]),
        3 => Just(EMAILS[1]),
        2 => Just(EMAILS[2]),
        1 => select(BAD_EMAILS),
    ]
    .prop_map(|address| Email(address.to_owned()))
    .boxed()
}

fn new_password() -> BoxedStrategy<Password> {
    prop_oneof![
        4 => select(STRONG_PASSWORDS),
        2 => select(BAD_PASSWORDS),
    ]
    .prop_map(|password| Password(password.to_owned()))
    .boxed()
}

fn guess() -> BoxedStrategy<Guess> {
    prop_oneof![
        5 => Just(Guess::Current),
        1 => select(STRONG_PASSWORDS).prop_map(|p| Guess::Other(Password(p.to_owned()))),
    ]
    .boxed()
}

fn code_guess() -> BoxedStrategy<CodeGuess> {
    prop_oneof![
        6 => Just(CodeGuess::Sent),
        1 => Just(CodeGuess::Wrong),
        1 => Just(CodeGuess::Lowercased),
    ]
    .boxed()
}

fn pick() -> BoxedStrategy<Pick> {
    prop_oneof![3 => Just(Pick::Latest), 1 => any::<u8>().prop_map(Pick::Nth)].boxed()
}

fn tok() -> BoxedStrategy<Tok> {
    prop_oneof![
        12 => pick().prop_map(Tok::Issued),
        1 => pick().prop_map(Tok::WrongSecret),
        1 => Just(Tok::OtherKind),
        1 => prop_oneof![
            Just(Malformed::Empty),
            Just(Malformed::NoDot),
            Just(Malformed::TwoDots),
            Just(Malformed::Garbage),
        ]
        .prop_map(Tok::Malformed),
    ]
    .boxed()
}

fn session_tok() -> BoxedStrategy<SessionTok> {
    prop_oneof![
        6 => Just(SessionTok::OfRecord),
        1 => Just(SessionTok::Sibling),
        1 => tok().prop_map(SessionTok::Other),
    ]
    .boxed()
}

fn whole_flow() -> BoxedStrategy<Step> {
    prop_oneof![
        4 => (email(), new_password()).prop_map(|(email, password)| Step::Register { email, password }),
        2 => (email(), guess()).prop_map(|(email, password)| Step::SignIn { email, password }),
        2 => (email(), code_guess(), guess()).prop_map(|(email, code, password)| Step::UpdateEmail { email, code, password }),
        // Two hashes (and composite steps change passwords too).
        1 => (guess(), new_password()).prop_map(|(password, new)| Step::UpdatePassword { password, new }),
        1 => guess().prop_map(|password| Step::DeleteAccount { password }),
        3 => (email(), code_guess(), new_password()).prop_map(|(email, temporary, new)| Step::ResetPassword { email, temporary, new }),
    ]
    .boxed()
}

fn signup_or_signin_step() -> BoxedStrategy<Step> {
    prop_oneof![
        email().prop_map(Step::CreateSignup),
        tok().prop_map(Step::GetSignup),
        tok().prop_map(Step::DeleteSignup),
        tok().prop_map(Step::SendSignupCode),
        (tok(), code_guess()).prop_map(|(t, c)| Step::VerifySignupCode(t, c)),
        (tok(), new_password()).prop_map(|(t, p)| Step::SetSignupPassword(t, p)),
        tok().prop_map(Step::CompleteSignup),
        email().prop_map(Step::CreateSignin),
        tok().prop_map(Step::GetSignin),
        tok().prop_map(Step::DeleteSignin),
        (tok(), guess()).prop_map(|(t, g)| Step::VerifySigninPassword(t, g)),
        tok().prop_map(Step::CompleteSignin),
        tok().prop_map(Step::GetSession),
        tok().prop_map(Step::DeleteSession),
        tok().prop_map(Step::DeleteAllSessions),
    ]
    .boxed()
}

fn update_step() -> BoxedStrategy<Step> {
    prop_oneof![
        (tok(), email()).prop_map(|(t, e)| Step::CreateEmailUpdate(t, e)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::GetEmailUpdate(s, t)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::DeleteEmailUpdate(s, t)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::SendEmailUpdateCode(s, t)),
        (session_tok(), tok(), code_guess())
            .prop_map(|(s, t, c)| Step::VerifyEmailUpdateCode(s, t, c)),
        (session_tok(), tok(), guess())
            .prop_map(|(s, t, g)| Step::VerifyEmailUpdatePassword(s, t, g)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::CompleteEmailUpdate(s, t)),
        tok().prop_map(Step::CreatePasswordUpdate),
        (session_tok(), tok()).prop_map(|(s, t)| Step::GetPasswordUpdate(s, t)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::DeletePasswordUpdate(s, t)),
        (session_tok(), tok(), guess())
            .prop_map(|(s, t, g)| Step::VerifyPasswordUpdatePassword(s, t, g)),
        (session_tok(), tok(), new_password())
            .prop_map(|(s, t, p)| Step::SetPasswordUpdateNewPassword(s, t, p)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::CompletePasswordUpdate(s, t)),
    ]
    .boxed()
}

fn deletion_or_reset_step() -> BoxedStrategy<Step> {
    prop_oneof![
        tok().prop_map(Step::CreateDeletion),
        (session_tok(), tok()).prop_map(|(s, t)| Step::GetDeletion(s, t)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::DeleteDeletion(s, t)),
        (session_tok(), tok(), guess()).prop_map(|(s, t, g)| Step::VerifyDeletionPassword(s, t, g)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::CompleteDeletion(s, t)),
        email().prop_map(Step::CreateReset),
        tok().prop_map(Step::GetReset),
        tok().prop_map(Step::DeleteReset),
        (tok(), code_guess()).prop_map(|(t, c)| Step::VerifyResetTemporaryPassword(t, c)),
        (tok(), new_password()).prop_map(|(t, p)| Step::SetResetNewPassword(t, p)),
        tok().prop_map(Step::CompleteReset),
    ]
    .boxed()
}

fn outside_step() -> BoxedStrategy<Step> {
    prop_oneof![
        (select(EMAILS), any::<bool>()).prop_map(|(email, disabled)| Step::SetDisabled {
            email: Email(email.to_owned()),
            disabled
        }),
        // Never a sum landing exactly on a lifetime (10 or 20 minutes).
        select(&[61_i64, 11 * 60, 21 * 60, 31 * 60][..])
            .prop_map(|seconds| Step::Advance { seconds }),
    ]
    .boxed()
}

/// Single actions worth repeating: each spends a rate-limit token or sends an e-mail.
fn repeated_step() -> BoxedStrategy<Step> {
    let step = prop_oneof![
        (tok(), guess()).prop_map(|(t, g)| Step::VerifySigninPassword(t, g)),
        (email(), guess()).prop_map(|(email, password)| Step::SignIn { email, password }),
        tok().prop_map(Step::SendSignupCode),
        (tok(), code_guess()).prop_map(|(t, c)| Step::VerifySignupCode(t, c)),
        email().prop_map(Step::CreateSignup),
        email().prop_map(Step::CreateReset),
        (tok(), code_guess()).prop_map(|(t, c)| Step::VerifyResetTemporaryPassword(t, c)),
        (session_tok(), tok(), code_guess())
            .prop_map(|(s, t, c)| Step::VerifyEmailUpdateCode(s, t, c)),
        (session_tok(), tok()).prop_map(|(s, t)| Step::SendEmailUpdateCode(s, t)),
        (session_tok(), tok(), guess()).prop_map(|(s, t, g)| Step::VerifyDeletionPassword(s, t, g)),
    ];
    (2..=6_u8, step)
        .prop_map(|(times, step)| Step::Repeat {
            times,
            step: Box::new(step),
        })
        .boxed()
}

// Composite steps: situations that single steps and whole flows seldom reach.

/// New addresses for e-mail updates, which no signup step uses.
const NEW_EMAILS: &[&str] = &["carol@example.com", "dave@example.com"];

fn new_email() -> BoxedStrategy<Email> {
    select(NEW_EMAILS)
        .prop_map(|address| Email(address.to_owned()))
        .boxed()
}

fn strong_password() -> BoxedStrategy<Password> {
    select(STRONG_PASSWORDS)
        .prop_map(|password| Password(password.to_owned()))
        .boxed()
}

/// A valid newest session, from a signin or registration if need be.
fn ensure_session() -> BoxedStrategy<Step> {
    (any::<bool>(), strong_password())
        .prop_map(|(swap, password)| {
            let (first, second) = if swap { (1, 0) } else { (0, 1) };
            Step::EnsureSession {
                emails: [first, second].map(|i| Email(EMAILS[i].to_owned())),
                password,
            }
        })
        .boxed()
}

/// A step of another step's user (see [`Step::OfUser`]).
fn of_user(step: Step) -> Step {
    Step::OfUser(Box::new(step))
}

/// The session-bound flows.
#[derive(Debug, Clone, Copy)]
enum BoundFlow {
    EmailUpdate,
    PasswordUpdate,
    Deletion,
}

fn bound_flow() -> impl Strategy<Value = BoundFlow> {
    select(
        &[
            BoundFlow::EmailUpdate,
            BoundFlow::PasswordUpdate,
            BoundFlow::Deletion,
        ][..],
    )
}

/// Creates a record of the flow on the newest session.
fn open_bound(flow: BoundFlow) -> BoxedStrategy<Step> {
    let latest = Tok::Issued(Pick::Latest);
    match flow {
        BoundFlow::EmailUpdate => new_email()
            .prop_map(move |email| Step::CreateEmailUpdate(latest.clone(), email))
            .boxed(),
        BoundFlow::PasswordUpdate => Just(Step::CreatePasswordUpdate(latest)).boxed(),
        BoundFlow::Deletion => Just(Step::CreateDeletion(latest)).boxed(),
    }
}

/// Any action of the flow on the `pick`ed record, with the session `session` names;
/// with `hashing`, also those that hash a password when the record is valid.
fn bound_use(
    flow: BoundFlow,
    session: SessionTok,
    pick: Pick,
    hashing: bool,
) -> BoxedStrategy<Step> {
    let (s, t) = (Just(session), Just(Tok::Issued(pick)));
    let h = u32::from(hashing);
    match flow {
        BoundFlow::EmailUpdate => prop_oneof![
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::GetEmailUpdate(s, t)),
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::DeleteEmailUpdate(s, t)),
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::SendEmailUpdateCode(s, t)),
            1 => (s.clone(), t.clone(), code_guess())
                .prop_map(|(s, t, c)| Step::VerifyEmailUpdateCode(s, t, c)),
            h => (s.clone(), t.clone(), guess())
                .prop_map(|(s, t, g)| Step::VerifyEmailUpdatePassword(s, t, g)),
            1 => (s, t).prop_map(|(s, t)| Step::CompleteEmailUpdate(s, t)),
        ]
        .boxed(),
        BoundFlow::PasswordUpdate => prop_oneof![
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::GetPasswordUpdate(s, t)),
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::DeletePasswordUpdate(s, t)),
            h => (s.clone(), t.clone(), guess())
                .prop_map(|(s, t, g)| Step::VerifyPasswordUpdatePassword(s, t, g)),
            h => (s.clone(), t.clone(), new_password())
                .prop_map(|(s, t, p)| Step::SetPasswordUpdateNewPassword(s, t, p)),
            1 => (s, t).prop_map(|(s, t)| Step::CompletePasswordUpdate(s, t)),
        ]
        .boxed(),
        BoundFlow::Deletion => prop_oneof![
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::GetDeletion(s, t)),
            1 => (s.clone(), t.clone()).prop_map(|(s, t)| Step::DeleteDeletion(s, t)),
            h => (s.clone(), t.clone(), guess())
                .prop_map(|(s, t, g)| Step::VerifyDeletionPassword(s, t, g)),
            1 => (s, t).prop_map(|(s, t)| Step::CompleteDeletion(s, t)),
        ]
        .boxed(),
    }
}

/// A session-bound record used with another session than its own (`session_mismatch`
/// when that session is valid): open a record on the newest session, sometimes sign
/// its user in again for a second session, then act on the record with a sibling
/// session.
fn cross_session() -> BoxedStrategy<Step> {
    bound_flow()
        .prop_flat_map(|flow| {
            (
                ensure_session(),
                open_bound(flow),
                proptest::bool::weighted(0.2),
                vec(
                    bound_use(flow, SessionTok::Sibling, Pick::Latest, true),
                    1..=3,
                ),
            )
        })
        .prop_map(|(ensure, open, sign_in_again, uses)| {
            let mut steps = vec![ensure, open];
            if sign_in_again {
                steps.push(of_user(Step::SignIn {
                    email: Email(EMAILS[0].to_owned()),
                    password: Guess::Current,
                }));
            }
            steps.extend(uses);
            Step::Seq(steps)
        })
        .boxed()
}

/// Wrong guesses at a verification code or temporary password until its bucket is
/// empty (or one short, or one past), then another use of the bucket, sometimes after
/// a refill.
fn exhaust_bucket() -> BoxedStrategy<Step> {
    let latest = || Tok::Issued(Pick::Latest);
    let wrong = prop_oneof![3 => Just(CodeGuess::Wrong), 1 => Just(CodeGuess::Lowercased)];
    let signup = (email(), wrong.clone()).prop_map(move |(email, guess)| {
        (
            Step::CreateSignup(email.clone()),
            Step::VerifySignupCode(latest(), guess),
            vec![
                Step::VerifySignupCode(latest(), CodeGuess::Sent),
                Step::SendSignupCode(latest()),
                Step::CreateSignup(email),
            ],
        )
    });
    let email_update = (new_email(), wrong.clone()).prop_map(move |(email, guess)| {
        let own = SessionTok::OfRecord;
        (
            Step::CreateEmailUpdate(latest(), email),
            Step::VerifyEmailUpdateCode(own.clone(), latest(), guess),
            vec![
                Step::VerifyEmailUpdateCode(own.clone(), latest(), CodeGuess::Sent),
                Step::SendEmailUpdateCode(own, latest()),
            ],
        )
    });
    let reset = wrong.prop_map(move |guess| {
        let create = of_user(Step::CreateReset(Email(EMAILS[0].to_owned())));
        (
            create.clone(),
            Step::VerifyResetTemporaryPassword(latest(), guess),
            vec![
                Step::VerifyResetTemporaryPassword(latest(), CodeGuess::Sent),
                create,
            ],
        )
    });
    (
        ensure_session(),
        prop_oneof![signup, email_update, reset],
        4..=7_u8,
        any::<prop::sample::Index>(),
        proptest::bool::weighted(0.3),
    )
        .prop_map(|(ensure, (open, guess, afters), times, after, refill)| {
            let mut steps = vec![
                ensure,
                open,
                Step::Repeat {
                    times,
                    step: Box::new(guess),
                },
            ];
            if refill {
                steps.push(Step::Advance { seconds: 61 });
            }
            steps.push(after.get(&afters).clone());
            Step::Seq(steps)
        })
        .boxed()
}

/// Records that watch the user's counters, opened before a change.
fn pending_opens() -> BoxedStrategy<Vec<Step>> {
    let latest = || Tok::Issued(Pick::Latest);
    let user = || Email(EMAILS[0].to_owned());
    (
        vec(proptest::bool::weighted(0.6), 5),
        new_email(),
        proptest::bool::weighted(0.3),
    )
        .prop_map(move |(open, email, progress)| {
            let mut steps = Vec::new();
            if open[0] {
                steps.push(of_user(Step::CreateSignin(user())));
            }
            if open[1] {
                steps.push(of_user(Step::CreateReset(user())));
                if progress {
                    steps.push(Step::VerifyResetTemporaryPassword(
                        latest(),
                        CodeGuess::Sent,
                    ));
                }
            }
            if open[2] {
                steps.push(Step::CreateEmailUpdate(latest(), email));
                if progress {
                    steps.push(Step::VerifyEmailUpdateCode(
                        SessionTok::OfRecord,
                        latest(),
                        CodeGuess::Sent,
                    ));
                }
            }
            if open[3] {
                steps.push(Step::CreatePasswordUpdate(latest()));
            }
            if open[4] {
                steps.push(Step::CreateDeletion(latest()));
            }
            steps
        })
        .boxed()
}

/// What changes the user's counters: their password (a password update or a reset),
/// their address, or their being disabled (and sometimes enabled again); with the
/// session to use the session-bound records with afterwards.
fn counter_change() -> BoxedStrategy<(Vec<Step>, BoxedStrategy<SessionTok>)> {
    let user = || Email(EMAILS[0].to_owned());
    let either = || prop_oneof![Just(SessionTok::OfRecord), Just(SessionTok::Sibling)].boxed();
    prop_oneof![
        // Two hashes, where a reset takes one.
        1 => strong_password().prop_map(move |new| (vec![Step::UpdatePassword {
            password: Guess::Current,
            new,
        }], either())),
        3 => strong_password().prop_map(move |new| (vec![of_user(Step::ResetPassword {
            email: user(),
            temporary: CodeGuess::Sent,
            new,
        })], either())),
        3 => new_email().prop_map(move |email| (vec![Step::UpdateEmail {
            email,
            code: CodeGuess::Sent,
            password: Guess::Current,
        }], either())),
        // Disabling ends the user's sessions too, and a session-bound action validates
        // its session first: the records are used with a valid session of another
        // user (or of the user signed in again), which the validator checks before
        // whose session it is.
        2 => (any::<bool>(), ensure_session()).prop_map(move |(enable_again, ensure)| {
            let mut steps = vec![of_user(Step::SetDisabled {
                email: user(),
                disabled: true,
            })];
            if enable_again {
                steps.push(of_user(Step::SetDisabled {
                    email: user(),
                    disabled: false,
                }));
            }
            steps.push(ensure);
            (steps, Just(SessionTok::Sibling).boxed())
        }),
    ]
    .boxed()
}

/// An action on the pinned record of one of the kinds that watch the user's counters;
/// a session-bound one with `session`. Not the actions that hash a password when the
/// record is still valid (for time: they run elsewhere).
fn pinned_use(session: SessionTok) -> BoxedStrategy<Step> {
    let pinned = || Tok::Issued(Pick::Pinned);
    prop_oneof![
        1 => Just(Step::GetSignin(pinned())),
        1 => Just(Step::CompleteSignin(pinned())),
        1 => Just(Step::GetReset(pinned())),
        1 => code_guess().prop_map(move |c| Step::VerifyResetTemporaryPassword(pinned(), c)),
        1 => Just(Step::CompleteReset(pinned())),
        3 => bound_use(BoundFlow::EmailUpdate, session.clone(), Pick::Pinned, false),
        3 => bound_use(BoundFlow::PasswordUpdate, session.clone(), Pick::Pinned, false),
        3 => bound_use(BoundFlow::Deletion, session, Pick::Pinned, false),
    ]
    .boxed()
}

/// Flows of the newest session's user left pending while the user's password,
/// address or disabled state changes, then used.
fn change_while_pending() -> BoxedStrategy<Step> {
    (ensure_session(), pending_opens(), counter_change())
        .prop_flat_map(|(ensure, opens, (change, session))| {
            let uses = session.prop_flat_map(|session| vec(pinned_use(session), 2..=4));
            (Just(ensure), Just(opens), Just(change), uses)
        })
        .prop_map(|(ensure, opens, change, uses)| {
            let mut steps = vec![ensure];
            steps.extend(opens);
            steps.push(Step::Pin);
            steps.extend(change);
            steps.extend(uses);
            Step::Seq(steps)
        })
        .boxed()
}

fn step() -> BoxedStrategy<Step> {
    prop_oneof![
        2 => repeated_step(),
        5 => whole_flow(),
        4 => signup_or_signin_step(),
        4 => update_step(),
        3 => deletion_or_reset_step(),
        2 => outside_step(),
        3 => cross_session(),
        2 => exhaust_bucket(),
        2 => change_while_pending(),
    ]
    .boxed()
}

fn fail(message: impl Into<String>) -> TestCaseError {
    TestCaseError::fail(message.into())
}

/// Every (action, outcome) the model test saw, over all its cases.
fn seen() -> MutexGuard<'static, BTreeMap<(String, String), usize>> {
    static SEEN: Mutex<BTreeMap<(String, String), usize>> = Mutex::new(BTreeMap::new());
    SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Plays `steps` from a reset server, on a worker thread of the shared runtime.
fn play_on_runtime(
    target: &'static Target,
    steps: &[Step],
    clock: Clock,
) -> Result<(), TestCaseError> {
    let shared = shared();
    let steps = steps.to_vec();
    shared
        .runtime
        .block_on(shared.runtime.spawn(play(target, steps, clock)))
        .map_err(|e| fail(format!("the flow panicked: {e}")))?
}

async fn play(
    target: &'static Target,
    steps: Vec<Step>,
    clock: Clock,
) -> Result<(), TestCaseError> {
    target
        .reset(CLOCK_START)
        .await
        .map_err(|e| fail(format!("reset: {e:#}")))?;
    let start = target.now();
    let mut run = Run::new(
        target,
        match clock {
            Clock::Wall { .. } => Clock::Wall { start },
            manual => manual,
        },
    );
    for (index, step) in steps.iter().enumerate() {
        // The future of a step is large in unoptimised builds: on the heap.
        let played = Box::pin(run.step(step)).await;
        {
            let mut seen = seen();
            for pair in run.outcomes.drain(..) {
                *seen.entry(pair).or_default() += 1;
            }
            for (kind, cause) in run.model.ended.drain(..) {
                let pair = (format!("{kind:?} record ended by"), cause.to_owned());
                *seen.entry(pair).or_default() += 1;
            }
        }
        if let Err(message) = played {
            let history = run.log.join("\n  ");
            return Err(fail(format!(
                "step {index} {step:?}: {message}\nactions so far:\n  {history}"
            )));
        }
    }
    Ok(())
}

#[test]
fn flows_match_the_reference_model() {
    let _turn = turn();
    let target = shared().in_process();
    proptest!(config(24), |(steps in vec(step(), 10..=25))| {
        play_on_runtime(target, &steps, Clock::Manual)?;
    });
    // Written to the process's stderr directly, past the test harness's output
    // capture, so every run shows what the generated flows reached.
    let seen = seen();
    let mut report = String::from("(action, outcome) pairs the model test saw, with counts:\n");
    let (ended, actions): (Vec<_>, Vec<_>) = seen
        .iter()
        .partition(|((action, _), _)| action.ends_with(" record ended by"));
    for ((action, outcome), count) in actions.into_iter().chain(ended) {
        report.push_str(&format!("  {count:4}  {action}: {outcome}\n"));
    }
    let _ = std::io::stderr().write_all(report.as_bytes());
}

// ---------------------------------------------------------------------------
// (c) shapes over generated flows
// ---------------------------------------------------------------------------

/// Addresses the §8 pattern accepts, drawn from its whole alphabet.
fn generated_email() -> impl Strategy<Value = Email> {
    ("[a-zA-Z0-9!#%&'*+/=?^_{|}~.-]{1,16}", "[a-zA-Z0-9.-]{1,16}")
        .prop_map(|(local, domain)| Email(format!("{local}@{domain}")))
}

/// Passwords of 10 to 40 code points, any of them (the fake range API lists none).
fn generated_password() -> impl Strategy<Value = Password> {
    "[^\u{0}]{10,40}".prop_map(Password)
}

fn shape_flow() -> impl Strategy<Value = Vec<Step>> {
    (
        generated_email(),
        generated_email(),
        generated_password(),
        generated_password(),
        generated_password(),
    )
        .prop_filter("two different addresses", |(a, b, ..)| a != b)
        .prop_map(|(first, second, p1, p2, p3)| {
            let latest = || Tok::Issued(Pick::Latest);
            vec![
                Step::CreateSignup(first.clone()),
                Step::SendSignupCode(latest()),
                Step::GetSignup(latest()),
                Step::Register {
                    email: first.clone(),
                    password: p1,
                },
                Step::SignIn {
                    email: first.clone(),
                    password: Guess::Current,
                },
                Step::GetSession(latest()),
                Step::CreateEmailUpdate(latest(), second.clone()),
                Step::SendEmailUpdateCode(SessionTok::OfRecord, latest()),
                Step::GetEmailUpdate(SessionTok::OfRecord, latest()),
                Step::UpdateEmail {
                    email: second.clone(),
                    code: CodeGuess::Sent,
                    password: Guess::Current,
                },
                Step::CreatePasswordUpdate(latest()),
                Step::GetPasswordUpdate(SessionTok::OfRecord, latest()),
                Step::UpdatePassword {
                    password: Guess::Current,
                    new: p2,
                },
                Step::ResetPassword {
                    email: second.clone(),
                    temporary: CodeGuess::Sent,
                    new: p3,
                },
                Step::GetReset(latest()),
                Step::CreateSignin(second),
                Step::GetSignin(latest()),
                Step::CreateDeletion(latest()),
                Step::GetDeletion(SessionTok::OfRecord, latest()),
                Step::DeleteAccount {
                    password: Guess::Current,
                },
            ]
        })
}

#[test]
fn returned_values_have_documented_shapes() {
    let _turn = turn();
    let shared = shared();
    let clock = if shared.target.is_external() {
        Clock::Wall { start: 0 }
    } else {
        Clock::Manual
    };
    proptest!(config(4), |(steps in shape_flow())| {
        play_on_runtime(&shared.target, &steps, clock)?;
    });
}

// ---------------------------------------------------------------------------
// (b) arbitrary and mutated bodies
// ---------------------------------------------------------------------------

/// The body limit of our server: larger bodies are answered 413.
const BODY_LIMIT: usize = 64 * 1024;

/// What the envelope rules (§1.6, §2, §15 #13) decide for a body.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// 200 with a result of this action.
    Runs(String),
    /// 400 with an empty body.
    Rejected,
    /// 413.
    TooLarge,
    /// Valid JSON nested deeper than our own parser goes: 200 with a well-formed
    /// result, or 400 as a nesting limit (RFC 8259 §9 allows one).
    TooDeepToJudge,
}

/// The verdict for an envelope already parsed.
fn verdict_of(envelope: &Value) -> Verdict {
    let Value::Object(envelope) = envelope else {
        return Verdict::Rejected;
    };
    let (Some(Value::String(action)), Some(Value::Object(arguments))) =
        (envelope.get("action"), envelope.get("arguments"))
    else {
        return Verdict::Rejected;
    };
    let Some(spec) = action_spec(action) else {
        return Verdict::Rejected;
    };
    if spec
        .arguments
        .iter()
        .all(|name| arguments.get(*name).is_some_and(Value::is_string))
    {
        Verdict::Runs(action.clone())
    } else {
        Verdict::Rejected
    }
}

/// The verdict for a body: `parsed` is the JSON it serialises, when known.
fn verdict(body: &[u8], parsed: Option<&Value>) -> Verdict {
    if body.len() > BODY_LIMIT {
        return Verdict::TooLarge;
    }
    match (serde_json::from_slice::<Value>(body), parsed) {
        // Nesting past our parser's limit may be refused, even inside an unused member.
        (Err(error), _) if error.to_string().contains("recursion limit") => Verdict::TooDeepToJudge,
        (_, Some(value)) => verdict_of(value),
        (Ok(value), None) => verdict_of(&value),
        (Err(_), None) => Verdict::Rejected,
    }
}

async fn send_and_judge(
    target: &Target,
    body: Vec<u8>,
    parsed: Option<&Value>,
) -> Result<(), TestCaseError> {
    let expected = verdict(&body, parsed);
    let length = body.len();
    let shown = String::from_utf8_lossy(&body[..length.min(300)]).into_owned();
    let answer = target.request_bytes("POST", "/", body).await.map_err(|e| {
        fail(format!(
            "no answer to a {length}-byte body {shown:?}: {e:#}"
        ))
    })?;
    match (&expected, answer.status) {
        (Verdict::Runs(action), 200) => {
            check_result(action, &answer.body).map_err(|e| fail(format!("{e:#}")))?;
        }
        (Verdict::TooDeepToJudge, 200) => {
            check_result_of(None, &answer.body).map_err(|e| fail(format!("{e:#}")))?;
        }
        (Verdict::Rejected | Verdict::TooDeepToJudge, 400) => {
            if !answer.body.is_empty() {
                return Err(fail(format!(
                    "400 with a body {:?} for {shown:?}",
                    answer.body
                )));
            }
        }
        (Verdict::TooLarge, 413) => {}
        (_, status) => {
            return Err(fail(format!(
                "a {length}-byte body {shown:?}: expected {expected:?}, got HTTP {status} {:?}",
                answer.body
            )))
        }
    }
    check_alive(target)
        .await
        .map_err(|e| fail(format!("after {shown:?}: {e:#}")))
}

fn json_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,24}".prop_map(Value::String),
    ]
}

fn json_value() -> impl Strategy<Value = Value> {
    json_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..6).prop_map(Value::Array),
            hash_map("[a-z_]{0,10}", inner, 0..6)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// Argument values: token-shaped, address-shaped or anything.
fn argument_value() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-km-z2-9]{24}\\.[a-km-z2-9]{24}",
        "[a-z]{1,8}@[a-z]{1,8}\\.test",
        ".{0,40}",
    ]
}

#[derive(Debug, Clone)]
enum Mutation {
    RemoveArgument(usize),
    RetypeArgument(usize, Value),
    RenameArgument(usize, String),
    AddArgument(String, Value),
    RemoveMember(&'static str),
    RetypeMember(&'static str, Value),
    AddMember(String, Value),
    RenameAction(String),
    /// An argument this many bytes long.
    HugeArgument(usize, usize),
    /// An extra member nested this deep.
    DeepNesting(usize, bool),
}

#[derive(Debug, Clone)]
enum TextMutation {
    None,
    TrailingComma,
    Truncate(usize),
    InsertByte(usize, u8),
    LeadingBom,
    InvalidUtf8InString,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let member = || select(&["action", "arguments"][..]);
    prop_oneof![
        any::<usize>().prop_map(Mutation::RemoveArgument),
        (
            any::<usize>(),
            json_value().prop_filter("not a string", |v| !v.is_string())
        )
            .prop_map(|(i, v)| Mutation::RetypeArgument(i, v)),
        (any::<usize>(), "[a-z_]{1,24}").prop_map(|(i, n)| Mutation::RenameArgument(i, n)),
        ("[a-z_]{1,24}", json_value()).prop_map(|(n, v)| Mutation::AddArgument(n, v)),
        member().prop_map(Mutation::RemoveMember),
        (member(), json_value()).prop_map(|(m, v)| Mutation::RetypeMember(m, v)),
        ("[a-z_]{1,12}", json_value())
            .prop_filter("a new member", |(n, _)| n != "action" && n != "arguments")
            .prop_map(|(n, v)| Mutation::AddMember(n, v)),
        prop_oneof![
            "[a-z_]{1,40}",
            select(
                ACTIONS
                    .iter()
                    .map(|a| a.name.to_uppercase())
                    .collect::<Vec<_>>()
            ),
        ]
        .prop_map(Mutation::RenameAction),
        (
            any::<usize>(),
            prop_oneof![60_000..65_400_usize, 65_400..72_000_usize]
        )
            .prop_map(|(i, n)| Mutation::HugeArgument(i, n)),
        (1..300_usize, any::<bool>()).prop_map(|(d, arrays)| Mutation::DeepNesting(d, arrays)),
    ]
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    prop_oneof![
        8 => Just(TextMutation::None),
        1 => Just(TextMutation::TrailingComma),
        1 => any::<usize>().prop_map(TextMutation::Truncate),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| TextMutation::InsertByte(i, b)),
        1 => Just(TextMutation::LeadingBom),
        1 => Just(TextMutation::InvalidUtf8InString),
    ]
}

fn nested(depth: usize, arrays: bool) -> Value {
    (0..depth).fold(json!(1), |inner, _| {
        if arrays {
            Value::Array(vec![inner])
        } else {
            json!({ "a": inner })
        }
    })
}

fn argument_name(arguments: &Map<String, Value>, index: usize) -> Option<String> {
    let count = arguments.len();
    (count > 0).then(|| {
        arguments
            .keys()
            .nth(index % count)
            .cloned()
            .unwrap_or_default()
    })
}

fn mutate(envelope: &mut Map<String, Value>, mutation: &Mutation) {
    let mut arguments = match envelope.get("arguments") {
        Some(Value::Object(arguments)) => arguments.clone(),
        _ => Map::new(),
    };
    match mutation {
        Mutation::RemoveArgument(i) => {
            if let Some(name) = argument_name(&arguments, *i) {
                arguments.remove(&name);
            }
        }
        Mutation::RetypeArgument(i, value) => {
            if let Some(name) = argument_name(&arguments, *i) {
                arguments.insert(name, value.clone());
            }
        }
        Mutation::RenameArgument(i, new) => {
            if let Some(name) = argument_name(&arguments, *i) {
                if let Some(value) = arguments.remove(&name) {
                    arguments.insert(new.clone(), value);
                }
            }
        }
        Mutation::AddArgument(name, value) => {
            arguments.insert(name.clone(), value.clone());
        }
        Mutation::HugeArgument(i, length) => {
            if let Some(name) = argument_name(&arguments, *i) {
                arguments.insert(name, Value::String("x".repeat(*length)));
            }
        }
        Mutation::RemoveMember(member) => {
            envelope.remove(*member);
            return;
        }
        Mutation::RetypeMember(member, value) => {
            envelope.insert((*member).to_owned(), value.clone());
            return;
        }
        Mutation::AddMember(name, value) => {
            envelope.insert(name.clone(), value.clone());
            return;
        }
        Mutation::RenameAction(name) => {
            envelope.insert("action".to_owned(), Value::String(name.clone()));
            return;
        }
        Mutation::DeepNesting(depth, arrays) => {
            envelope.insert("deep".to_owned(), nested(*depth, *arrays));
            return;
        }
    }
    if envelope.get("arguments").is_some_and(Value::is_object) {
        envelope.insert("arguments".to_owned(), Value::Object(arguments));
    }
}

fn mutate_text(mut body: Vec<u8>, mutation: &TextMutation) -> Vec<u8> {
    match mutation {
        TextMutation::None => {}
        TextMutation::TrailingComma => {
            if body.last() == Some(&b'}') {
                body.insert(body.len() - 1, b',');
            }
        }
        TextMutation::Truncate(at) => body.truncate(at % (body.len() + 1)),
        TextMutation::InsertByte(at, byte) => body.insert(at % (body.len() + 1), *byte),
        TextMutation::LeadingBom => body.splice(0..0, [0xEF, 0xBB, 0xBF]).for_each(drop),
        TextMutation::InvalidUtf8InString => {
            // Inside the action name: `"action":"` is followed by the name.
            if let Some(at) = body.windows(10).position(|w| w == b"\"action\":\"") {
                body.insert(at + 10, 0xFF);
            }
        }
    }
    body
}

#[derive(Debug, Clone)]
struct MutatedEnvelope {
    action: &'static str,
    arguments: Vec<String>,
    mutations: Vec<Mutation>,
    text: TextMutation,
}

fn mutated_envelope() -> impl Strategy<Value = MutatedEnvelope> {
    (
        select(ACTIONS.iter().map(|a| a.name).collect::<Vec<_>>()),
        vec(argument_value(), 3),
        vec(mutation(), 0..3),
        text_mutation(),
    )
        .prop_map(|(action, arguments, mutations, text)| MutatedEnvelope {
            action,
            arguments,
            mutations,
            text,
        })
}

impl MutatedEnvelope {
    /// The body, and the JSON it serialises unless text mutations broke it.
    fn body(&self) -> (Vec<u8>, Option<Value>) {
        let spec = action_spec(self.action).expect("a listed action");
        let arguments: Map<String, Value> = spec
            .arguments
            .iter()
            .zip(&self.arguments)
            .map(|(name, value)| ((*name).to_owned(), Value::String(value.clone())))
            .collect();
        let mut envelope = Map::new();
        envelope.insert("action".to_owned(), Value::String(self.action.to_owned()));
        envelope.insert("arguments".to_owned(), Value::Object(arguments));
        for mutation in &self.mutations {
            mutate(&mut envelope, mutation);
        }
        let envelope = Value::Object(envelope);
        let body = serde_json::to_vec(&envelope).expect("serialisable");
        match self.text {
            TextMutation::None => (body, Some(envelope)),
            _ => (mutate_text(body, &self.text), None),
        }
    }
}

#[test]
fn arbitrary_bodies_mutated_envelopes() {
    let _turn = turn();
    let shared = shared();
    proptest!(config(400), |(envelope in mutated_envelope())| {
        let (body, parsed) = envelope.body();
        shared.runtime.block_on(send_and_judge(&shared.target, body, parsed.as_ref()))?;
    });
}

#[test]
fn arbitrary_bodies_random_json_and_bytes() {
    let _turn = turn();
    let shared = shared();
    // Random JSON, some of it wrapped as an envelope of a real action.
    let wrapped = (
        select(ACTIONS.iter().map(|a| a.name).collect::<Vec<_>>()),
        hash_map(
            prop_oneof![
                select(ACTIONS.iter().flat_map(|a| a.arguments.iter().copied()).collect::<Vec<_>>())
                    .prop_map(str::to_owned),
                "[a-z_]{1,12}",
            ],
            prop_oneof![3 => argument_value().prop_map(Value::String), 1 => json_value()],
            0..5,
        ),
    )
        .prop_map(|(action, arguments)| {
            json!({ "action": action, "arguments": Value::Object(arguments.into_iter().collect()) })
        });
    let any_json = prop_oneof![json_value(), wrapped];
    proptest!(config(200), |(value in any_json)| {
        let body = serde_json::to_vec(&value).expect("serialisable");
        shared.runtime.block_on(send_and_judge(&shared.target, body, Some(&value)))?;
    });
    let bytes = prop_oneof![
        vec(any::<u8>(), 0..600),
        // Bytes from JSON's own alphabet, more often nearly JSON.
        vec(select(&b"{}[]\":,-.0123456789eE truefalsnl\\u"[..]), 0..200),
    ];
    proptest!(config(200), |(body in bytes)| {
        shared.runtime.block_on(send_and_judge(&shared.target, body, None))?;
    });
}

/// The JSON rules of §15 #13 on fixed bodies, next to the generated ones above:
/// negative numbers and exponents in unused members are fine; trailing commas,
/// invalid UTF-8 (anywhere) and non-JSON are 400.
#[test]
fn envelope_json_rules_on_fixed_bodies() {
    let _turn = turn();
    let shared = shared();
    let get_session = |extra: &[u8]| {
        let mut body = br#"{"action":"get_session","arguments":{"session_token":"x"}"#.to_vec();
        body.extend_from_slice(extra);
        body.push(b'}');
        body
    };
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        (
            "a negative number in an unused member",
            get_session(br#","n":-1"#),
            200,
        ),
        (
            "an exponent in an unused member",
            get_session(br#","n":1e-5"#),
            200,
        ),
        ("a trailing comma", get_session(b","), 400),
        (
            "a trailing comma in an unused array",
            get_session(br#","n":[1,]"#),
            400,
        ),
        (
            "invalid UTF-8 in the argument",
            br#"{"action":"get_session","arguments":{"session_token":"\xff"}}"#.to_vec(),
            400,
        ),
        (
            "invalid UTF-8 in an unused argument",
            br#"{"action":"get_session","arguments":{"session_token":"x","n":"\xff"}}"#.to_vec(),
            400,
        ),
        (
            "invalid UTF-8 in an unused member",
            get_session(b",\"n\":\"\xff\""),
            400,
        ),
        (
            "invalid UTF-8 in a name nested in an unused member",
            get_session(b",\"n\":{\"\xff\":1}"),
            400,
        ),
        (
            "invalid UTF-8 in an unused member's name",
            get_session(b",\"\xff\":1"),
            400,
        ),
        ("not JSON", b"get_session".to_vec(), 400),
    ];
    let mut wrong = Vec::new();
    for (what, body, expected) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let answer = shared
            .runtime
            .block_on(shared.target.request_bytes("POST", "/", body))
            .expect("an answer");
        if answer.status != expected {
            wrong.push(format!(
                "{what}: {shown:?} answered {} {:?}, expected {expected}",
                answer.status, answer.body
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
