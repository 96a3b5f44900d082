package admit

// ProblemsOf is problemsOf, for the tests of package admit_test.
var ProblemsOf = problemsOf
