//! `db.query.summary`, `db.operation.name` and `db.collection.name`: the
//! operations and the tables they work on, in the order written, read off
//! the tokens without a full parse (OpenTelemetry's "Generating a summary
//! of the query"): `SELECT app_item app_order`, `INSERT t SELECT s`.

use super::{
    keyword::Keyword,
    lexer::{Kind, Token},
    names::{is_name, push_unquoted, skipped_before_name, CteNames},
    MAX_SUMMARY_BYTES,
};

/// What the name being read stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A table: in the summary, and `db.collection.name` when alone.
    Collection,
    /// A procedure, view, schema...: in the summary only.
    Other,
}

/// Where a name is expected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Target {
    role: Role,
    /// A `,` after it (and its alias) introduces another.
    list: bool,
    /// Kept when a `(` follows (`INSERT INTO t (a)`, `CALL p(1)`); in
    /// `FROM f(1)`, a function.
    before_paren: bool,
}

impl Target {
    /// After `FROM`, `UPDATE`, `TRUNCATE`...
    const TABLES: Self = Self {
        role: Role::Collection,
        list: true,
        before_paren: false,
    };
    /// After `JOIN`, `USING`.
    const TABLE: Self = Self {
        list: false,
        ..Self::TABLES
    };
    /// After `INSERT INTO`, `CREATE TABLE`, `COPY`...: a column list may follow.
    const WRITTEN_TABLE: Self = Self {
        before_paren: true,
        ..Self::TABLE
    };
    const OTHER: Self = Self {
        role: Role::Other,
        list: false,
        before_paren: true,
    };
}

/// What the next tokens may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Nothing,
    /// A name: after `FROM`, `JOIN`, `UPDATE`, `INSERT INTO`...
    Target(Target),
    /// Inside a name: a `.` continues it.
    Name(Target),
    /// After a `.` in a name.
    NamePart(Target),
    /// After a table: an alias, then `,` for another when a list.
    Alias {
        list: bool,
        seen: bool,
    },
    /// `CREATE`, `ALTER`, `DROP`: the kind of object follows.
    ObjectKind {
        verb: (usize, usize),
    },
    /// `CREATE INDEX name`: the table follows `ON`.
    IndexTable,
    /// `START`: `TRANSACTION` may follow.
    Transaction {
        verb: (usize, usize),
    },
}

/// An operation word waiting for the next token: a `(` makes it a
/// function (`REPLACE(a, b, c)`, MySQL's `INSERT(...)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct PendingOperation {
    token: Token,
    then: Expect,
}

/// What the summary found in a statement.
#[derive(Debug, Default)]
pub(super) struct Found {
    pub operation: Option<String>,
    pub collection: Option<String>,
}

/// Reads operations and tables off the tokens.
pub(super) struct Summarizer<'a> {
    src: &'a str,
    out: &'a mut String,
    full: bool,
    // Per input.
    statements: u32,
    operation: Option<String>,
    operations_differ: bool,
    collection: Option<String>,
    collections_differ: bool,
    // Per statement.
    prev: Option<Kind>,
    expect: Expect,
    pending: Option<PendingOperation>,
    name: String,
    name_too_long: bool,
    depth: u32,
    /// Which of the first 64 parenthesis levels hold a query (their `FROM`
    /// names tables; `EXTRACT(x FROM y)` does not).
    queries: u64,
    ctes: CteNames,
}

impl<'a> Summarizer<'a> {
    pub(super) fn new(src: &'a str, out: &'a mut String) -> Self {
        out.clear();
        Self {
            src,
            out,
            full: false,
            statements: 0,
            operation: None,
            operations_differ: false,
            collection: None,
            collections_differ: false,
            prev: None,
            expect: Expect::Nothing,
            pending: None,
            name: String::new(),
            name_too_long: false,
            depth: 0,
            queries: 0,
            ctes: CteNames::default(),
        }
    }

    pub(super) fn push(&mut self, token: Token) {
        if token.kind == Kind::Semicolon {
            self.end_statement();
            return;
        }
        if self.prev.is_none() {
            self.statements = self.statements.saturating_add(1);
        }
        if let Some(pending) = self.pending.take() {
            if token.kind != Kind::Open {
                self.operation_token(pending.token);
                self.expect = pending.then;
            }
        }
        self.ctes.track(self.src, token, self.depth);
        self.consume(token);
        match token.kind {
            Kind::Open => {
                if self.depth < 63 {
                    self.queries &= !(1u64 << (self.depth + 1));
                }
                self.depth = self.depth.saturating_add(1);
            }
            Kind::Close => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        self.prev = Some(token.kind);
    }

    /// The operation and collection, once every token was pushed.
    pub(super) fn finish(mut self) -> Found {
        self.end_statement();
        Found {
            operation: self
                .operation
                .filter(|_| !self.operations_differ && self.statements == 1),
            collection: self.collection.filter(|_| !self.collections_differ),
        }
    }

    fn end_statement(&mut self) {
        if let Some(pending) = self.pending.take() {
            self.operation_token(pending.token);
        }
        self.expect = self.advance(Token {
            kind: Kind::Semicolon,
            start: 0,
            end: 0,
            spaced: false,
        });
        self.prev = None;
        self.expect = Expect::Nothing;
        self.depth = 0;
        self.queries = 0;
        self.ctes.clear();
    }

    /// Runs the token through the expectation; a token it does not use
    /// goes on to the keyword rules.
    fn consume(&mut self, token: Token) {
        self.expect = self.advance(token);
        if self.expect != Expect::Nothing {
            return;
        }
        if let Kind::Word(keyword) = token.kind {
            self.keyword(keyword, token);
        }
    }

    /// The next expectation after `token`; `Nothing` when the token was
    /// not used (or ended what was expected).
    fn advance(&mut self, token: Token) -> Expect {
        match self.expect {
            Expect::Nothing => Expect::Nothing,
            Expect::Target(target) => match token.kind {
                Kind::Word(keyword) if skipped_before_name(keyword) => self.expect,
                kind if is_name(kind) => {
                    self.start_name(token);
                    Expect::Name(target)
                }
                _ => Expect::Nothing,
            },
            Expect::Name(target) if token.kind == Kind::Dot => Expect::NamePart(target),
            Expect::NamePart(target) if matches!(token.kind, Kind::Word(_) | Kind::QuotedName) => {
                self.name_part(token);
                Expect::Name(target)
            }
            Expect::Name(target) | Expect::NamePart(target) => {
                let function = token.kind == Kind::Open && !target.before_paren;
                if !function {
                    self.record_name(target.role);
                }
                if function || !target.list && target.role == Role::Other {
                    return Expect::Nothing;
                }
                self.expect = Expect::Alias {
                    list: target.list,
                    seen: false,
                };
                self.advance(token)
            }
            Expect::Alias { list, seen } => match token.kind {
                Kind::Word(Keyword::As) if !seen => self.expect,
                Kind::Word(Keyword::None) | Kind::QuotedName if !seen => {
                    Expect::Alias { list, seen: true }
                }
                Kind::Comma if list => Expect::Target(Target::TABLES),
                _ => Expect::Nothing,
            },
            Expect::ObjectKind { verb } => match token.kind {
                Kind::Word(
                    Keyword::Or
                    | Keyword::Replace
                    | Keyword::DdlModifier
                    | Keyword::Unique
                    | Keyword::If
                    | Keyword::Not
                    | Keyword::Exists,
                ) => self.expect,
                Kind::Word(kind @ (Keyword::Table | Keyword::Index | Keyword::ObjectKind)) => {
                    self.compound_operation(verb, token);
                    let create = self
                        .src
                        .get(verb.0..verb.1)
                        .is_some_and(|verb| verb.eq_ignore_ascii_case("CREATE"));
                    match kind {
                        Keyword::Table => Expect::Target(Target::WRITTEN_TABLE),
                        Keyword::Index if create => Expect::IndexTable,
                        _ => Expect::Target(Target::OTHER),
                    }
                }
                _ => {
                    self.operation_range(verb);
                    Expect::Nothing
                }
            },
            Expect::IndexTable => match token.kind {
                Kind::Word(Keyword::On) => Expect::Target(Target::WRITTEN_TABLE),
                Kind::Open => Expect::Nothing,
                _ => self.expect,
            },
            Expect::Transaction { verb } => {
                if token.kind == Kind::Word(Keyword::Transaction) {
                    self.compound_operation(verb, token);
                } else {
                    self.operation_range(verb);
                }
                Expect::Nothing
            }
        }
    }

    /// The rules for a keyword that no expectation used.
    fn keyword(&mut self, keyword: Keyword, token: Token) {
        let start = self.prev.is_none();
        let verb = (token.start, token.end);
        match keyword {
            Keyword::Select => {
                self.operation_token(token);
                self.mark_query();
            }
            Keyword::Insert | Keyword::Replace | Keyword::Upsert | Keyword::Merge
                if self.operation_position() =>
            {
                self.defer(token, Expect::Target(Target::WRITTEN_TABLE));
            }
            Keyword::Update if self.operation_position() => {
                self.defer(token, Expect::Target(Target::TABLES));
            }
            Keyword::Delete if self.operation_position() => self.defer(token, Expect::Nothing),
            Keyword::From
                if self.in_query() && self.prev != Some(Kind::Word(Keyword::Distinct)) =>
            {
                self.expect = Expect::Target(Target::TABLES);
            }
            Keyword::Join => self.expect = Expect::Target(Target::TABLE),
            Keyword::Using if self.in_query() => self.expect = Expect::Target(Target::TABLE),
            Keyword::Create | Keyword::Alter | Keyword::Drop if start => {
                self.expect = Expect::ObjectKind { verb };
            }
            Keyword::Truncate if start => {
                self.operation_token(token);
                self.expect = Expect::Target(Target::TABLES);
            }
            Keyword::Start if start => self.expect = Expect::Transaction { verb },
            Keyword::Command
            | Keyword::Savepoint
            | Keyword::Set
            | Keyword::Values
            | Keyword::Explain
                if start =>
            {
                self.operation_token(token);
                let word = self.src.get(token.start..token.end).unwrap_or_default();
                if word.eq_ignore_ascii_case("CALL") {
                    self.expect = Expect::Target(Target::OTHER);
                } else if word.eq_ignore_ascii_case("COPY") {
                    self.expect = Expect::Target(Target::WRITTEN_TABLE);
                } else if word.eq_ignore_ascii_case("LOCK") {
                    self.expect = Expect::Target(Target::TABLES);
                }
            }
            _ => {}
        }
    }

    /// `INSERT`, `UPDATE`, `DELETE` are operations at the start of a
    /// statement or a parenthesis, after `AS (...)` or `EXPLAIN`; not in
    /// `FOR UPDATE`, `ON DELETE CASCADE`, `ON DUPLICATE KEY UPDATE`...
    fn operation_position(&self) -> bool {
        matches!(
            self.prev,
            None | Some(
                Kind::Open | Kind::Close | Kind::Word(Keyword::As) | Kind::Word(Keyword::Explain)
            )
        )
    }

    fn defer(&mut self, token: Token, then: Expect) {
        self.pending = Some(PendingOperation { token, then });
        self.mark_query();
    }

    fn mark_query(&mut self) {
        if self.depth < 64 {
            self.queries |= 1u64 << self.depth;
        }
    }

    fn in_query(&self) -> bool {
        self.depth < 64 && self.queries & (1u64 << self.depth) != 0
    }

    fn start_name(&mut self, token: Token) {
        self.name.clear();
        self.name_too_long = false;
        self.name_part(token);
    }

    fn name_part(&mut self, token: Token) {
        if !self.name.is_empty() {
            self.name.push('.');
        }
        let part = self.src.get(token.start..token.end).unwrap_or_default();
        if self.name.len() + part.len() > MAX_SUMMARY_BYTES {
            self.name_too_long = true;
            return;
        }
        push_unquoted(&mut self.name, part);
    }

    fn record_name(&mut self, role: Role) {
        if role == Role::Collection && self.ctes.contains(&self.name) {
            return;
        }
        if self.name_too_long || self.name.is_empty() {
            if role == Role::Collection {
                self.collections_differ = true;
            }
            return;
        }
        let name = std::mem::take(&mut self.name);
        self.part(&name);
        if role == Role::Collection {
            match &self.collection {
                None => self.collection = Some(name.clone()),
                Some(first) if *first != name => self.collections_differ = true,
                Some(_) => {}
            }
        }
        self.name = name;
    }

    fn operation_token(&mut self, token: Token) {
        self.operation_range((token.start, token.end));
    }

    fn operation_range(&mut self, (start, end): (usize, usize)) {
        let src = self.src;
        self.operation(src.get(start..end).unwrap_or_default());
    }

    /// `CREATE TABLE`, `START TRANSACTION`: the two words, one space apart.
    fn compound_operation(&mut self, (start, end): (usize, usize), kind: Token) {
        let src = self.src;
        let verb = src.get(start..end).unwrap_or_default();
        let kind = src.get(kind.start..kind.end).unwrap_or_default();
        self.operation(&format!("{verb} {kind}"));
    }

    fn operation(&mut self, name: &str) {
        self.part(name);
        match &self.operation {
            None => self.operation = Some(name.to_owned()),
            Some(first) if !first.eq_ignore_ascii_case(name) => self.operations_differ = true,
            Some(_) => {}
        }
    }

    /// Appends a part when it fits whole; after one that does not, none.
    fn part(&mut self, part: &str) {
        if self.full || part.is_empty() {
            return;
        }
        let space = usize::from(!self.out.is_empty());
        if self.out.len() + space + part.len() > MAX_SUMMARY_BYTES {
            self.full = true;
            return;
        }
        if space == 1 {
            self.out.push(' ');
        }
        self.out.push_str(part);
    }
}
