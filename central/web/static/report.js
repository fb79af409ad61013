// The print button: the page's own print styles hide the navigation and the controls.
document.getElementById("report-print")?.addEventListener("click", () => window.print());
