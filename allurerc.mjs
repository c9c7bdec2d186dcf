// `macvlab report` renders with this configuration (Allure 3): the tree by scenario, then checks,
// negative controls and their restores, and cleanup, instead of one node per folder of the results.
export default {
  name: "macvlab",
  plugins: {
    awesome: {
      options: {
        reportName: "macvlab",
        groupBy: ["parentSuite", "suite", "subSuite"],
      },
    },
  },
};
