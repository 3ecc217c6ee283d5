//! `helium-cli` run as a process, its output compared line by line with the operator book.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

use helium_framework::testing::{TestDatabase, redis_url};

/// Redis database 9 keeps these tests' configuration copies away from a development instance.
fn test_redis_url() -> String {
    format!("{}/9", redis_url().trim_end_matches('/'))
}

fn cli(db: Option<&TestDatabase>, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_helium-cli"));
    command
        .env_clear()
        .env("REDIS_URL", test_redis_url())
        .args(args);
    if let Some(db) = db {
        command.env("DATABASE_URL", &db.url);
    }
    command
}

fn run(db: Option<&TestDatabase>, args: &[&str]) -> Output {
    cli(db, args).output().unwrap()
}

fn run_with_input(db: &TestDatabase, args: &[&str], input: &str) -> Output {
    let mut child = cli(Some(db), args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

fn create_admin(db: &TestDatabase, name: &str, role: &str, email: &str) -> String {
    let output = run(
        Some(db),
        &[
            "admin", "create", "--name", name, "--role", role, "--email", email,
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let id_line = stdout(&output).lines().nth(1).unwrap().to_owned();
    id_line.trim_start_matches("  ID: ").to_owned()
}

#[tokio::test]
async fn init_config_stores_six_configurations_and_reports_each() {
    let db = TestDatabase::create().await;

    let output = run(Some(&db), &["init-config"]);

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "Initializing 6 configuration types...\n\
         \n\
         Initializing Auth config... ✓ Success\n\
         Initializing Admin JWT config... ✓ Success\n\
         Initializing Telecom config... ✓ Success\n\
         Initializing Shop config... ✓ Success\n\
         Initializing Market/Affiliate config... ✓ Success\n\
         Initializing Mailer config... ✓ Success\n\
         \n\
         Configuration initialization completed:\n  ✓ Successful: 6\n"
    );
    let keys: Vec<String> =
        sqlx::query_scalar("SELECT key FROM public.application__config ORDER BY key")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        keys,
        [
            "admin-jwt",
            "affiliate",
            "auth",
            "mailer",
            "shop",
            "telecom"
        ]
    );
    db.drop_database().await;
}

#[tokio::test]
async fn init_config_keeps_stored_secrets_unless_forced() {
    let db = TestDatabase::create().await;
    let secret = || async {
        sqlx::query_scalar::<_, String>(
            "SELECT content->>'secret' FROM public.application__config WHERE key = 'admin-jwt'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    run(Some(&db), &["init-config"]);
    let first = secret().await;

    let again = run(Some(&db), &["init-config"]);
    let kept = secret().await;
    let forced = run(Some(&db), &["init-config", "--force"]);
    let replaced = secret().await;

    assert!(again.status.success() && forced.status.success());
    assert!(stdout(&again).contains("Initializing Admin JWT config... ✓ Success (kept"));
    assert_eq!(first, kept);
    assert_ne!(first, replaced);
    assert!(first.len() >= 32);
    db.drop_database().await;
}

#[tokio::test]
async fn init_config_copies_every_configuration_to_redis() {
    let db = TestDatabase::create().await;

    run(Some(&db), &["init-config", "--force"]);

    let client = redis::Client::open(test_redis_url()).unwrap();
    let mut redis = client.get_multiplexed_async_connection().await.unwrap();
    let cached: String = redis::cmd("GET")
        .arg("helium:config:module:shop")
        .query_async(&mut redis)
        .await
        .unwrap();
    let cached: serde_json::Value = serde_json::from_str(&cached).unwrap();
    assert_eq!(cached["max_unpaid_orders"], 5);
    db.drop_database().await;
}

#[test]
fn validate_config_accepts_a_valid_file() {
    let file = std::env::temp_dir().join(format!("helium-shop-{}.json", std::process::id()));
    std::fs::write(
        &file,
        r#"{"max_unpaid_orders": 5, "auto_cancel_after": "1800",
            "epay_notify_url": "https://your-domain.com/api/webhook/epay/notify",
            "epay_return_url": "https://your-domain.com/payment/success"}"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();

    let output = run(None, &["validate-config", "--config-type", "shop", path]);

    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("✓ Configuration file is valid!\n  File: {path}\n  Type: Shop\n  Key: shop\n")
    );
    std::fs::remove_file(file).unwrap();
}

#[test]
fn validate_config_names_the_bad_field() {
    let file = std::env::temp_dir().join(format!("helium-admin-{}.json", std::process::id()));
    std::fs::write(
        &file,
        r#"{"secret": "too-short", "token_expiration": "864000",
            "issuer": "https://admin.example.com", "audience": "HeliumAdmin"}"#,
    )
    .unwrap();
    let path = file.to_str().unwrap();

    for alias in ["admin-jwt", "admin_jwt"] {
        let output = run(None, &["validate-config", "--config-type", alias, path]);

        assert_eq!(output.status.code(), Some(1));
        assert_eq!(
            stderr(&output),
            format!(
                "✗ Configuration validation failed!\n  File: {path}\n  Type: Admin JWT\n  \
                 Error: secret: must be at least 32 characters long\n"
            )
        );
    }
    std::fs::remove_file(file).unwrap();
}

#[test]
fn validate_config_refuses_unknown_types_and_missing_files() {
    let unknown = run(
        None,
        &["validate-config", "--config-type", "smtp", "x.json"],
    );
    let missing = run(
        None,
        &[
            "validate-config",
            "--config-type",
            "mailer",
            "/nonexistent.json",
        ],
    );

    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).starts_with("Error: unknown configuration type \"smtp\""));
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).starts_with("Error: cannot read configuration file /nonexistent.json")
    );
}

#[tokio::test]
async fn admin_create_show_and_list_print_the_documented_layout() {
    let db = TestDatabase::create().await;

    let created = run(
        Some(&db),
        &[
            "admin",
            "create",
            "--name",
            "System Administrator",
            "--role",
            "SUPER-ADMIN",
            "--email",
            "admin@example.com",
        ],
    );
    let id = stdout(&created)
        .lines()
        .nth(1)
        .unwrap()
        .trim_start_matches("  ID: ")
        .to_owned();
    create_admin(
        &db,
        "Support Team Lead",
        "customersupport",
        "support@example.com",
    );
    let shown = run(Some(&db), &["admin", "show", &id]);
    let listed = run(Some(&db), &["admin", "list", "--limit", "10"]);

    assert_eq!(
        stdout(&created),
        format!(
            "Successfully created admin account:\n  ID: {id}\n  Name: System Administrator\n  \
             Role: Super Admin\n  Email: admin@example.com\n  Avatar: N/A\n"
        )
    );
    let shown = stdout(&shown);
    assert!(shown.starts_with(&format!(
        "Admin Account Details:\n  ID: {id}\n  Name: System Administrator\n  Role: Super Admin\n  \
         Email: admin@example.com\n  Avatar: N/A\n  Created At: "
    )));
    let listed = stdout(&listed);
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines[0], "Found 2 admin account(s):");
    assert_eq!(lines[1], "");
    assert_eq!(
        lines[2].trim_end(),
        format!(
            "{:<36} {:<20} {:<30} {:<30} Created At",
            "ID", "Role", "Name", "Email"
        )
    );
    assert_eq!(
        lines[3],
        format!(
            "{} {} {} {} {}",
            "-".repeat(36),
            "-".repeat(20),
            "-".repeat(30),
            "-".repeat(30),
            "-".repeat(20)
        )
    );
    assert!(lines[4].starts_with(&format!("{id} Super Admin          System Administrator")));
    assert!(lines[5].contains("Customer Support     Support Team Lead"));
    assert_eq!(lines.len(), 6);
    db.drop_database().await;
}

#[tokio::test]
async fn admin_list_pages_with_limit_and_offset() {
    let db = TestDatabase::create().await;
    for index in 0..3 {
        create_admin(
            &db,
            &format!("Admin {index}"),
            "moderator",
            &format!("a{index}@example.com"),
        );
    }

    let page = stdout(&run(
        Some(&db),
        &["admin", "list", "--limit", "1", "--offset", "1"],
    ));

    assert!(page.starts_with("Found 1 admin account(s):"));
    assert!(page.contains("Admin 1"));
    db.drop_database().await;
}

#[tokio::test]
async fn admin_create_refuses_bad_input_and_changes_nothing() {
    let db = TestDatabase::create().await;
    create_admin(&db, "First", "moderator", "taken@example.com");
    let cases: [(&[&str], &str); 4] = [
        (
            &["--name", "X", "--role", "owner"],
            "Error: Invalid admin role \"owner\"",
        ),
        (
            &[
                "--name",
                "X",
                "--role",
                "moderator",
                "--email",
                "not-an-email",
            ],
            "Error: email: ",
        ),
        (
            &[
                "--name",
                "X",
                "--role",
                "moderator",
                "--email",
                "TAKEN@example.com",
            ],
            "Error: an admin account with email TAKEN@example.com already exists",
        ),
        (
            &["--name", "  ", "--role", "moderator"],
            "Error: name must be between 1 and 100",
        ),
    ];

    for (args, expected) in cases {
        let mut full = vec!["admin", "create"];
        full.extend_from_slice(args);
        let output = run(Some(&db), &full);

        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&output).starts_with(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM manage.admin_account")
        .fetch_one(&db.pool)
        .await
        .unwrap();
    assert_eq!(count, 1);
    db.drop_database().await;
}

#[tokio::test]
async fn admin_delete_asks_first_and_only_yes_deletes() {
    let db = TestDatabase::create().await;
    let id = create_admin(
        &db,
        "Old Administrator",
        "super_admin",
        "old-admin@example.com",
    );

    let declined = run_with_input(&db, &["admin", "delete", &id], "n\n");
    let still_there = run(Some(&db), &["admin", "show", &id]);
    let confirmed = run_with_input(&db, &["admin", "delete", &id], "y\n");
    let gone = run(Some(&db), &["admin", "show", &id]);

    let prompt = format!(
        "Admin account to delete:\n  ID: {id}\n  Name: Old Administrator\n  Role: Super Admin\n  \
         Email: old-admin@example.com\n\nAre you sure you want to delete this admin account? \
         [y/N]: "
    );
    assert_eq!(stdout(&declined), format!("{prompt}Deletion cancelled.\n"));
    assert!(still_there.status.success());
    assert_eq!(
        stdout(&confirmed),
        format!("{prompt}Successfully deleted admin account: {id}\n")
    );
    assert_eq!(gone.status.code(), Some(1));
    assert_eq!(
        stderr(&gone),
        format!("Error: Admin account not found: {id}\n")
    );
    db.drop_database().await;
}

#[tokio::test]
async fn admin_delete_with_yes_skips_the_prompt_and_records_an_event() {
    let db = TestDatabase::create().await;
    let id = create_admin(&db, "Bot", "support-bot", "bot@example.com");

    let output = run(Some(&db), &["admin", "delete", &id, "--yes"]);

    assert_eq!(
        stdout(&output),
        format!("Successfully deleted admin account: {id}\n")
    );
    let events: Vec<String> =
        sqlx::query_scalar("SELECT routing_key FROM public.outbox_event ORDER BY id")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(
        events,
        [
            "manage.admin_account.created",
            "manage.admin_account.deleted"
        ]
    );
    db.drop_database().await;
}

#[tokio::test]
async fn a_malformed_admin_id_is_refused_before_touching_the_database() {
    let output = run(None, &["admin", "show", "123-not-a-uuid"]);

    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("invalid value '123-not-a-uuid' for '<ADMIN_ID>'"));
}

#[test]
fn database_problems_get_the_documented_messages() {
    let missing = run(None, &["admin", "list"]);
    let unreachable = run(
        None,
        &[
            "--database-url",
            "postgres://postgres@127.0.0.1:1/helium",
            "admin",
            "list",
        ],
    );

    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        stderr(&missing),
        "Error: DATABASE_URL must be provided (set the variable or pass --database-url)\n"
    );
    assert_eq!(unreachable.status.code(), Some(1));
    assert!(stderr(&unreachable).starts_with("Error: Failed to connect to database: "));
}

#[tokio::test]
async fn admin_credential_prints_a_new_credential_once_and_replaces_the_old_one() {
    // Arrange
    let db = TestDatabase::create().await;
    let id = create_admin(&db, "First Owner", "super_admin", "owner@example.com");
    let credential_in = |output: &Output| {
        stdout(output)
            .lines()
            .find_map(|line| line.strip_prefix("  Credential: "))
            .unwrap()
            .to_owned()
    };

    // Act
    let first = run(Some(&db), &["admin", "credential", &id]);
    let second = run(Some(&db), &["admin", "credential", &id]);

    // Assert
    assert!(first.status.success(), "{}", stderr(&first));
    let (old, new) = (credential_in(&first), credential_in(&second));
    assert_eq!(
        stdout(&second),
        format!(
            "Issued a new credential for admin account:\n  ID: {id}\n  Name: First Owner\n  \
             Role: Super Admin\n  Email: owner@example.com\n  Credential: {new}\n\n\
             Store this credential now: it is not kept anywhere and cannot be shown again.\n\
             Any previous credential of this admin no longer works, and its sessions have \
             ended.\n"
        )
    );
    assert_ne!(old, new);
    assert_eq!(new.len(), 43);
    let stored: Vec<Vec<u8>> =
        sqlx::query_scalar("SELECT secret_hash FROM manage.admin_credential")
            .fetch_all(&db.pool)
            .await
            .unwrap();
    assert_eq!(stored, [helium_framework::tokens::secret_hash(&new)]);
    let audited: Vec<(Option<uuid::Uuid>, String)> = sqlx::query_as(
        "SELECT actor_id, action FROM manage.audit_log WHERE action LIKE 'admin.credential.%'",
    )
    .fetch_all(&db.pool)
    .await
    .unwrap();
    assert_eq!(
        audited,
        [
            (None, "admin.credential.issue".to_owned()),
            (None, "admin.credential.issue".to_owned())
        ]
    );
    db.drop_database().await;
}

#[tokio::test]
async fn admin_credential_refuses_an_unknown_admin() {
    let db = TestDatabase::create().await;
    let unknown = uuid::Uuid::now_v7().to_string();

    let output = run(Some(&db), &["admin", "credential", &unknown]);

    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        format!("Error: Admin account not found: {unknown}\n")
    );
    assert!(stdout(&output).is_empty());
    db.drop_database().await;
}
