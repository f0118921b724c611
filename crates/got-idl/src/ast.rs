//! The parsed schema: classes (the thesis's PCC sets) and their dimensions, with the position
//! each was declared at.

use std::fmt;

use fluxion_versions::{DimKind, TypeDef};

/// A 1-based line and column (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pos {
    pub line: usize,
    pub col: usize,
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.col)
    }
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub pos: Pos,
}

/// One dimension: `int points`, or the key `primary str name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DimDef {
    pub name: Ident,
    pub kind: DimKind,
    /// Position of the kind word.
    pub kind_pos: Pos,
    pub primary: bool,
}

/// One class: `class grade:` and its lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassDef {
    pub name: Ident,
    /// In declaration order, the primary key among them.
    pub dims: Vec<DimDef>,
    /// `merge func <name>`: the function that resolves this class's conflicts.
    pub merge: Option<Ident>,
}

impl ClassDef {
    /// The primary-key dimension (a validated class has exactly one).
    pub fn key(&self) -> &DimDef {
        self.dims
            .iter()
            .find(|d| d.primary)
            .expect("a validated class has a primary key")
    }

    /// The dimensions other than the key.
    pub fn value_dims(&self) -> impl Iterator<Item = &DimDef> {
        self.dims.iter().filter(|d| !d.primary)
    }

    /// The dataframe type this class declares.
    pub fn type_def(&self) -> TypeDef {
        TypeDef::new(
            self.name.name.clone(),
            self.key().name.name.clone(),
            self.dims.iter().map(|d| (d.name.name.clone(), d.kind)),
        )
    }
}

/// A whole `.pcc` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFile {
    pub classes: Vec<ClassDef>,
}

impl SchemaFile {
    /// The dataframe types of every class, in declaration order.
    pub fn type_defs(&self) -> Vec<TypeDef> {
        self.classes.iter().map(ClassDef::type_def).collect()
    }
}
