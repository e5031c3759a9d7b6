//! The few SQL keywords the normalizer acts on, recognised in any case.
//! Every other word is `Keyword::None`: an identifier, or a keyword that
//! changes nothing here.

/// A keyword that steers the text writer, the summary or the lexer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Keyword {
    None,
    // Statements that read or write rows.
    Select,
    Insert,
    Update,
    Delete,
    Merge,
    Replace,
    Upsert,
    With,
    Values,
    Value,
    Table,
    /// `ARRAY[...]`: a list of values.
    Array,
    // Schema changes: the verb, then the kind of object.
    Create,
    Alter,
    Drop,
    Truncate,
    // Other statements: named in the summary by their first word.
    Command,
    Start,
    // Clauses and modifiers.
    From,
    Join,
    Into,
    In,
    As,
    On,
    Only,
    Lateral,
    Using,
    Distinct,
    Set,
    Savepoint,
    Constraint,
    References,
    Exists,
    Returning,
    Key,
    Unique,
    Conflict,
    Include,
    If,
    Not,
    Or,
    /// `INSERT IGNORE`, `LOW_PRIORITY`... between the verb and the table.
    InsertModifier,
    /// `TEMPORARY`, `CONCURRENTLY`... between `CREATE` and the object.
    DdlModifier,
    /// `INDEX`, `VIEW`, `SEQUENCE`...: what a schema change is about.
    ObjectKind,
    Index,
    Transaction,
    Explain,
    /// Words that end a table list or cannot be an alias.
    Clause,
}

/// Longest keyword recognised, in bytes.
const MAX_LEN: usize = 13;

/// The keyword `word` is, in any case; `Keyword::None` for anything else.
pub(super) fn classify(word: &[u8]) -> Keyword {
    if word.len() < 2 || word.len() > MAX_LEN {
        return Keyword::None;
    }
    let mut upper = [0u8; MAX_LEN];
    for (slot, byte) in upper.iter_mut().zip(word) {
        *slot = byte.to_ascii_uppercase();
    }
    let upper = upper.get(..word.len()).unwrap_or_default();
    match upper {
        b"SELECT" => Keyword::Select,
        b"INSERT" => Keyword::Insert,
        b"UPDATE" => Keyword::Update,
        b"DELETE" => Keyword::Delete,
        b"MERGE" => Keyword::Merge,
        b"REPLACE" => Keyword::Replace,
        b"UPSERT" => Keyword::Upsert,
        b"WITH" => Keyword::With,
        b"VALUES" => Keyword::Values,
        b"VALUE" => Keyword::Value,
        b"TABLE" | b"TABLES" => Keyword::Table,
        b"ARRAY" => Keyword::Array,
        b"CREATE" => Keyword::Create,
        b"ALTER" => Keyword::Alter,
        b"DROP" => Keyword::Drop,
        b"TRUNCATE" => Keyword::Truncate,
        b"START" => Keyword::Start,
        b"BEGIN" | b"COMMIT" | b"ROLLBACK" | b"END" | b"ABORT" | b"RELEASE" | b"SHOW" | b"USE"
        | b"RESET" | b"DISCARD" | b"LISTEN" | b"NOTIFY" | b"UNLISTEN" | b"VACUUM" | b"ANALYZE"
        | b"CHECKPOINT" | b"PREPARE" | b"EXECUTE" | b"DEALLOCATE" | b"DECLARE" | b"FETCH"
        | b"CLOSE" | b"MOVE" | b"LOCK" | b"UNLOCK" | b"GRANT" | b"REVOKE" | b"CALL" | b"DO"
        | b"COPY" | b"DESCRIBE" | b"DESC" | b"HANDLER" | b"FLUSH" | b"KILL" | b"OPTIMIZE"
        | b"REPAIR" | b"XA" | b"COMMENT" | b"REFRESH" | b"REINDEX" | b"CLUSTER" | b"LOAD"
        | b"RENAME" => Keyword::Command,
        b"SAVEPOINT" => Keyword::Savepoint,
        b"FROM" => Keyword::From,
        b"JOIN" | b"STRAIGHT_JOIN" => Keyword::Join,
        b"INTO" => Keyword::Into,
        b"IN" => Keyword::In,
        b"AS" => Keyword::As,
        b"ON" => Keyword::On,
        b"ONLY" => Keyword::Only,
        b"LATERAL" => Keyword::Lateral,
        b"USING" => Keyword::Using,
        b"DISTINCT" => Keyword::Distinct,
        b"SET" => Keyword::Set,
        b"CONSTRAINT" => Keyword::Constraint,
        b"REFERENCES" => Keyword::References,
        b"EXISTS" => Keyword::Exists,
        b"RETURNING" => Keyword::Returning,
        b"KEY" => Keyword::Key,
        b"UNIQUE" => Keyword::Unique,
        b"CONFLICT" => Keyword::Conflict,
        b"INCLUDE" => Keyword::Include,
        b"IF" => Keyword::If,
        b"NOT" => Keyword::Not,
        b"OR" => Keyword::Or,
        b"IGNORE" | b"LOW_PRIORITY" | b"HIGH_PRIORITY" | b"DELAYED" => Keyword::InsertModifier,
        b"TEMPORARY" | b"TEMP" | b"UNLOGGED" | b"GLOBAL" | b"LOCAL" | b"CONCURRENTLY"
        | b"MATERIALIZED" | b"RECURSIVE" | b"FULLTEXT" | b"SPATIAL" | b"ONLINE" | b"OFFLINE" => {
            Keyword::DdlModifier
        }
        b"INDEX" => Keyword::Index,
        b"VIEW" | b"SEQUENCE" | b"SCHEMA" | b"DATABASE" | b"FUNCTION" | b"PROCEDURE"
        | b"TRIGGER" | b"EXTENSION" | b"TYPE" | b"USER" | b"ROLE" | b"DOMAIN" | b"EVENT"
        | b"COLLATION" | b"POLICY" | b"PUBLICATION" | b"SUBSCRIPTION" | b"SERVER" | b"RULE"
        | b"AGGREGATE" | b"OPERATOR" | b"TABLESPACE" => Keyword::ObjectKind,
        b"TRANSACTION" | b"WORK" => Keyword::Transaction,
        b"EXPLAIN" => Keyword::Explain,
        b"WHERE" | b"GROUP" | b"ORDER" | b"HAVING" | b"LIMIT" | b"OFFSET" | b"UNION"
        | b"INTERSECT" | b"EXCEPT" | b"WINDOW" | b"FOR" | b"LEFT" | b"RIGHT" | b"INNER"
        | b"OUTER" | b"CROSS" | b"NATURAL" | b"FULL" | b"DEFAULT" | b"PARTITION"
        | b"TABLESAMPLE" | b"FORCE" | b"WHEN" | b"THEN" | b"ELSE" | b"AND" | b"LIKE" | b"ILIKE"
        | b"BETWEEN" | b"IS" | b"NULL" | b"TRUE" | b"FALSE" | b"CASE" | b"ASC" => Keyword::Clause,
        _ => Keyword::None,
    }
}

impl Keyword {
    /// After this word, a `"quoted"` token names something (PostgreSQL
    /// identifier) rather than being a value (MySQL string): used when the
    /// dialect is not known. Not `BY` nor `TO`: MySQL takes strings there
    /// (`ORDER BY "x"`, `GRANT .. TO "user"@"host"`).
    pub(super) fn names_next(self) -> bool {
        matches!(
            self,
            Keyword::From
                | Keyword::Join
                | Keyword::Into
                | Keyword::Update
                | Keyword::Table
                | Keyword::As
                | Keyword::Set
                | Keyword::On
                | Keyword::Index
                | Keyword::ObjectKind
                | Keyword::Savepoint
                | Keyword::Constraint
                | Keyword::References
                | Keyword::Exists
                | Keyword::Returning
                | Keyword::Truncate
                | Keyword::Only
                | Keyword::Using
        )
    }

    /// A `(` right after this word opens a list of column names.
    pub(super) fn opens_name_list(self) -> bool {
        matches!(
            self,
            Keyword::Key | Keyword::Unique | Keyword::Conflict | Keyword::Include | Keyword::Using
        )
    }
}
