use fluxion_got_idl::{compile, parse, Lang};
use fluxion_versions::{DimKind, Schema};

const GRADE: &str = include_str!("schemas/grade.pcc");
const CAMPUS: &str = include_str!("schemas/campus.pcc");

#[test]
fn the_thesis_grade_schema_parses_to_its_dataframe_type() {
    let file = parse(GRADE, "grade.pcc").unwrap();
    assert_eq!(file.classes.len(), 1);
    let grade = &file.classes[0];
    assert_eq!(grade.name.name, "grade");
    assert_eq!((grade.name.pos.line, grade.name.pos.col), (1, 7));
    assert_eq!(grade.key().name.name, "student_id");
    assert_eq!(grade.merge.as_ref().unwrap().name, "handle_conflicts");
    let t = grade.type_def();
    assert_eq!(t.key, "student_id");
    assert_eq!(
        t.dims,
        vec![
            ("student_id".to_string(), DimKind::Int),
            ("points".to_string(), DimKind::Int),
            ("passed".to_string(), DimKind::Bool),
        ]
    );
    Schema::new(file.type_defs()).expect("a valid dataframe schema");
}

#[test]
fn every_kind_and_comments_parse() {
    let file = parse(CAMPUS, "campus.pcc").unwrap();
    let names: Vec<&str> = file.classes.iter().map(|c| c.name.name.as_str()).collect();
    assert_eq!(names, ["Student", "Course", "Counter", "Presence"]);
    let student = file.classes[0].type_def();
    let kinds: Vec<DimKind> = student.dims.iter().map(|(_, k)| *k).collect();
    use DimKind::*;
    assert_eq!(kinds, [Str, Str, Int, Float, Bool, Bytes, List, Map, Any]);
    assert!(file.classes[3].merge.is_none());
    Schema::new(file.type_defs()).unwrap();
}

#[test]
fn python_output_follows_the_thesis_listing() {
    let out = compile(GRADE, "schemas/grade.pcc", Lang::Python).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].name, "grade.py");
    let py = &out[0].text;
    for line in [
        "from fluxion_got import dimension, merge, pcc_set, primarykey",
        "@pcc_set\nclass grade:",
        "    student_id = primarykey(int)",
        "    points = dimension(int)",
        "    passed = dimension(bool)",
        "    @merge\n    def handle_conflicts(original, yours, theirs):",
        "        return theirs",
        "types = [grade]",
    ] {
        assert!(py.contains(line), "missing {line:?} in\n{py}");
    }
}

#[test]
fn typescript_output_types_the_definitions() {
    let ts = &compile(GRADE, "grade.pcc", Lang::TypeScript).unwrap()[0];
    assert_eq!(ts.name, "grade.ts");
    for line in [
        "import { pccSet, primaryKey } from 'fluxion';",
        "export type grade = {\n  student_id: number | bigint;\n  points?: number | bigint | null;\n  passed?: boolean | null;\n};",
        "export const grade: PccSet<grade> = pccSet('grade', {\n  student_id: primaryKey('int'),\n  points: 'int',\n  passed: 'bool',\n});",
        "export function handle_conflicts(original: grade | null, yours: grade | null, theirs: grade | null): grade | null {",
        "export const types = [grade] as const;",
        "    case 'grade':\n      return handle_conflicts(",
    ] {
        assert!(ts.text.contains(line), "missing {line:?} in\n{}", ts.text);
    }
    let js = &compile(CAMPUS, "campus.pcc", Lang::JavaScript).unwrap()[0];
    assert_eq!(js.name, "campus.js");
    assert!(js
        .text
        .contains("module.exports = { Student, Course, merge_course, Counter, add_counts, Presence, types, mergeFn };"));
    assert!(js.text.contains("  extra: 'map',"));
}

/// Each broken schema, and the error it must give (file:line:col: message).
#[test]
fn broken_schemas_name_file_line_and_column() {
    let cases: &[(&str, &str)] = &[
        ("", "s.pcc:1:1: the schema declares no class (expected \"class <name>:\")"),
        ("# only a comment\n", "s.pcc:1:1: the schema declares no class (expected \"class <name>:\")"),
        ("int x\n", "s.pcc:1:1: expected \"class\", found \"int\""),
        ("class grade\n  primary int id\n", "s.pcc:2:3: expected \":\" after \"class grade\", found \"primary\""),
        ("class grade:\n  primary int id\n  integer points\n",
         "s.pcc:3:3: unknown type \"integer\" for a dimension (expected int, bool, str, float, bytes, list, map or any)"),
        ("class grade:\n  int points\n", "s.pcc:1:7: class \"grade\" has no primary key (add a line \"primary int <name>\" or \"primary str <name>\")"),
        ("class grade:\n  primary float id\n", "s.pcc:2:11: a primary key must be int or str, not float"),
        ("class grade:\n  primary int id\n  primary str name\n",
         "s.pcc:3:3: class \"grade\" has a second primary key (the first is \"id\" at 2:15)"),
        ("class grade:\n  primary int id\n  int points\n  bool points\n",
         "s.pcc:4:8: dimension \"points\" is declared twice in class \"grade\" (first at 3:7)"),
        ("class grade:\n  primary int id\n  merge handle\n", "s.pcc:3:9: expected \"func\" after \"merge\", found \"handle\""),
        ("class grade:\n  primary int id\n  merge func a\n  merge func b\n",
         "s.pcc:4:3: class \"grade\" already has a merge function (\"a\" at 3:14)"),
        ("class grade:\n  primary int id\nclass grade:\n  primary int id\n",
         "s.pcc:3:7: class \"grade\" is declared twice (first at 1:7)"),
        ("class grade:\n  primary int id\n  str from\n",
         "s.pcc:3:7: \"from\" cannot be a dimension name: it is a keyword of Python or TypeScript, the generated code could not use it"),
        ("class grade:\n  primary int id\n  int 3d\n", "s.pcc:3:7: unexpected character '3' (names start with a letter or _)"),
        ("class grade:\n  primary int id\n  int points;\n", "s.pcc:3:13: unexpected character ';'"),
        ("class grade:\n  primary int id\n  int\n", "s.pcc:4:1: expected the dimension name, found the end of the file"),
        ("class a:\n  primary int id\n  merge func m\nclass b:\n  primary int id\n  merge func m\n",
         "s.pcc:6:14: merge function \"m\" is already the merge function of class \"a\" (each class needs its own)"),
        ("class types:\n  primary int id\n", "s.pcc:1:7: a class cannot be named \"types\": the generated module defines that name"),
        ("class grade:\n  primary int id\n  int class\n", "s.pcc:3:7: expected the dimension name, found the keyword \"class\""),
    ];
    for (src, want) in cases {
        let got = parse(src, "s.pcc").expect_err(src).to_string();
        assert_eq!(&got, want, "for schema {src:?}");
    }
}

#[test]
fn languages_and_module_names() {
    assert_eq!("ts".parse::<Lang>().unwrap(), Lang::TypeScript);
    assert_eq!("python".parse::<Lang>().unwrap(), Lang::Python);
    assert_eq!(
        "rust".parse::<Lang>().unwrap_err().to_string(),
        "unknown language \"rust\" (expected ts, js or python)"
    );
    assert_eq!(
        fluxion_got_idl::module_name("a/b/my-schema.v2.pcc"),
        "my_schema_v2"
    );
    assert_eq!(fluxion_got_idl::module_name("2024.pcc"), "_2024");
}
