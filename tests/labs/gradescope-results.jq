# tests/labs/gradescope-results.jq — Gradescope's documented shape of
# results.json (gradescope-autograders.readthedocs.io, "Autograder
# Specifications", "Output format"), as a jq program: it prints one line per
# way the input departs from the shape, nothing when it conforms.
#
# Top level, all optional: score (number; required if a test lacks one),
# execution_time (number, seconds), output, output_format,
# test_output_format, test_name_format (strings), visibility and
# stdout_visibility (visible, hidden, after_due_date, after_published),
# extra_data (object), tests (array; required without a top-level score),
# leaderboard (array of {name, value, order?}).  A test, all optional:
# score, max_score (numbers), status (passed, failed), name, name_format,
# number, output, output_format (strings), tags (array of strings),
# visibility, extra_data (object).
def visibilities: ["visible", "hidden", "after_due_date", "after_published"];
def formats: ["text", "html", "simple_format", "md", "ansi"];
def top_keys: ["score", "execution_time", "output", "output_format", "test_output_format",
               "test_name_format", "visibility", "stdout_visibility", "extra_data", "tests", "leaderboard"];
def test_keys: ["score", "max_score", "status", "name", "name_format", "number", "output",
                "output_format", "tags", "visibility", "extra_data"];
def typed($what; $v; $t): if $v == null or ($v | type) == $t then empty else "\($what) is a \($v | type), not a \($t)" end;
def one_of($what; $v; $set): if $v == null or ($set | index($v)) then empty else "\($what) is \($v | tojson), not one of \($set | join(", "))" end;

if type != "object" then "the top level is a \(type), not an object" else
  (keys - top_keys | .[] | "an undocumented top-level key: \(.)"),
  typed("score"; .score; "number"), typed("execution_time"; .execution_time; "number"),
  typed("output"; .output; "string"), typed("extra_data"; .extra_data; "object"),
  typed("tests"; .tests; "array"), typed("leaderboard"; .leaderboard; "array"),
  one_of("visibility"; .visibility; visibilities), one_of("stdout_visibility"; .stdout_visibility; visibilities),
  one_of("output_format"; .output_format; formats), one_of("test_output_format"; .test_output_format; formats),
  one_of("test_name_format"; .test_name_format; formats),
  (if .score == null and .tests == null then "neither a score nor tests" else empty end),
  (.score as $top | (.tests // [])[] | . as $t | "test \(.name // "(unnamed)" | tojson)" as $w |
    if type != "object" then "\($w) is a \(type), not an object" else
      (keys - test_keys | .[] | "\($w): an undocumented key: \(.)"),
      typed("\($w): score"; .score; "number"), typed("\($w): max_score"; .max_score; "number"),
      typed("\($w): name"; .name; "string"), typed("\($w): number"; .number; "string"),
      typed("\($w): output"; .output; "string"), typed("\($w): tags"; .tags; "array"),
      typed("\($w): extra_data"; .extra_data; "object"),
      one_of("\($w): status"; .status; ["passed", "failed"]),
      one_of("\($w): visibility"; .visibility; visibilities),
      one_of("\($w): output_format"; .output_format; formats), one_of("\($w): name_format"; .name_format; formats),
      ((.tags // [])[] | select(type != "string") | "\($w): a tag that is no string"),
      (if $top == null and .score == null then "\($w): no score, and no top-level score" else empty end)
    end)
end
