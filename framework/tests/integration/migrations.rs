use helium_framework::migrations::MIGRATOR;
use helium_framework::testing::TestDatabase;

#[tokio::test]
async fn every_migration_reverts_cleanly_and_applies_again() {
    // Arrange: a database with every migration applied.
    let db = TestDatabase::create().await;
    let tables = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM information_schema.tables
             WHERE table_schema NOT IN ('pg_catalog', 'information_schema')
               AND table_name <> '_sqlx_migrations'",
        )
        .fetch_one(&db.pool)
        .await
        .unwrap()
    };
    let applied = tables().await;

    // Act: revert everything, then apply again.
    MIGRATOR.undo(&db.pool, 0).await.unwrap();
    let reverted = tables().await;
    MIGRATOR.run(&db.pool).await.unwrap();

    // Assert
    assert!(applied > 0);
    assert_eq!(
        reverted, 0,
        "the down migrations must leave no table behind"
    );
    assert_eq!(tables().await, applied);
    db.drop_database().await;
}
