package io.fedsync.itest.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.etcd.jetcd.Client;
import io.fedsync.itest.fixture.EtcdClusters;
import io.fedsync.itest.fixture.FedsyncdProcess;
import io.fedsync.itest.fixture.KubeObjects;
import io.fedsync.itest.fixture.Kv;
import io.fedsync.itest.fixture.Names;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;

/**
 * fedsyncd's web page ({@code GET /}) in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}, driven by Selenium; nothing downloaded) against a real fedsyncd JVM that
 * holds real S2 conflicts between two real etcd processes, with {@code http.tokenFile} set. An operator
 * sees the health, the conflicts and the differing field, and ends one conflict by clicking; the page
 * asks for the token; both etcds then hold the chosen side. Screenshots go to
 * {@code itest/target/screenshots/}. Fails (never skips) without chromium or chromedriver.
 */
@DisplayName("the web page in a real headless Chromium, against a real fedsyncd holding real conflicts between real etcds")
class WebPageIT {

    private static final Duration WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SCREENSHOTS = Path.of("target/screenshots").toAbsolutePath();
    private static final String TOKEN = "web-" + Long.toHexString(System.nanoTime()) + "-5e4d3c2b1a09";
    private static final String HOSTILE = "<img src=x onerror=\"document.title='pwned'\">";

    @RegisterExtension
    final EtcdClusters etcd = EtcdClusters.builder().withClusters("host", "host2").build();

    @TempDir
    Path dir;

    private FedsyncdProcess fedsyncd;
    private ChromeDriver browser;

    @AfterEach
    void stopAll() {
        if (browser != null) {
            browser.quit();
        }
        if (fedsyncd != null) {
            fedsyncd.kill();
        }
    }

    private Client host() {
        return etcd.client("host");
    }

    private Client host2() {
        return etcd.client("host2");
    }

    /** Debian's chromium through its chromedriver, headless; Selenium Manager is never asked for a driver. */
    private ChromeDriver chromium() {
        assertThat(CHROMIUM).as("%s: Debian's chromium package; run bin/install-deps (as root)", CHROMIUM)
                .isExecutable();
        assertThat(CHROMEDRIVER).as("%s: Debian's chromium-driver package; run bin/install-deps (as root)",
                CHROMEDRIVER).isExecutable();
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .withLogFile(dir.resolve("chromedriver.log").toFile())
                .build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1000", "--user-data-dir=" + dir.resolve("chromium-profile"),
                "--no-first-run", "--disable-extensions", "--disable-background-networking",
                // A headless window may count as hidden: keep the page's refresh timer on time.
                "--disable-background-timer-throttling", "--disable-renderer-backgrounding",
                "--disable-backgrounding-occluded-windows");
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);
        options.setCapability("goog:loggingPrefs", logs);
        ChromeDriver driver = new ChromeDriver(service, options);
        System.out.println("WebPageIT: real Chromium " + driver.getCapabilities().getBrowserVersion() + " ("
                + CHROMIUM + ", driven by " + CHROMEDRIVER + ")");
        return driver;
    }

    /** The whole page as PNG (beyond the window), through the DevTools protocol. */
    private Path screenshot(String name) throws java.io.IOException {
        Files.createDirectories(SCREENSHOTS);
        Path file = SCREENSHOTS.resolve(name);
        byte[] png;
        try {
            Map<String, Object> shot = browser.executeCdpCommand("Page.captureScreenshot",
                    Map.of("format", "png", "captureBeyondViewport", true));
            png = Base64.getDecoder().decode((String) shot.get("data"));
        } catch (RuntimeException e) {
            png = browser.getScreenshotAs(OutputType.BYTES);
        }
        Files.write(file, png);
        System.out.println("WebPageIT: screenshot " + file);
        return file;
    }

    private WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    private WebElement row(String id) {
        return browser.findElement(By.cssSelector("#conflicts tr[data-id='" + id + "']"));
    }

    private List<String> rowIds() {
        return browser.findElements(By.cssSelector("#conflicts tr[data-id]")).stream()
                .map(r -> r.getDomAttribute("data-id")).toList();
    }

    private String cell(WebElement row, int column) {
        return row.findElements(By.tagName("td")).get(column).getText();
    }

    private String text(String id) {
        return byId(id).getText();
    }

    private Object js(String script, Object... args) {
        return ((JavascriptExecutor) browser).executeScript(script, args);
    }

    /** Opens a conflict's detail by clicking its id in the table. */
    private void open(String id) {
        await("conflict " + id + " in the table").atMost(WAIT).ignoreExceptions()
                .until(() -> row(id).isDisplayed());
        await().atMost(WAIT).ignoreExceptions().untilAsserted(() ->
                row(id).findElement(By.cssSelector("button[data-open]")).click());
        await("detail of " + id).atMost(WAIT).ignoreExceptions()
                .until(() -> byId("detail").isDisplayed() && text("detail-id").equals(id));
    }

    /** Types into the token dialog once it asks (saying why), and submits. */
    private void enterToken(String token, String reasonSays) {
        await("token dialog saying " + reasonSays).atMost(WAIT).ignoreExceptions().until(() ->
                byId("token-dialog").getDomAttribute("open") != null && text("token-reason").contains(reasonSays));
        WebElement input = byId("token-input");
        input.clear();
        input.sendKeys(token);
        byId("token-ok").click();
    }

    /** What the page showed when the test failed: a screenshot, its messages and the browser console. */
    private void diagnose(Throwable failure) {
        try {
            screenshot("failure.png");
            System.out.println("WebPageIT failed (" + failure + "); the page said: error=[" + text("error")
                    + "] refreshed=[" + text("refreshed") + "] resolve-error=[" + text("resolve-error")
                    + "] rows=" + rowIds() + " filters=" + js("return location.href + ' ' + ['f-state','f-type',"
                    + "'f-cluster','f-key'].map(i => document.getElementById(i).value).join('|')"));
            browser.manage().logs().get(LogType.BROWSER).getAll()
                    .forEach(e -> System.out.println("WebPageIT: console " + e));
            if (fedsyncd != null) {
                System.out.println("WebPageIT: fedsyncd log tail:\n" + fedsyncd.logTail(40));
            }
        } catch (RuntimeException | java.io.IOException e) {
            System.out.println("WebPageIT: could not read the page after the failure: " + e);
        }
    }

    @Test
    @DisplayName("real Chromium shows health and the S2 conflicts with the differing field marked, keys and values"
            + " as text; keeping host2 by clicking asks for the token (401, then 403 for a wrong one); both real etcds"
            + " then hold host2's object and the page shows the conflict resolved; a custom value of another name is"
            + " refused with the API's 422 message, a right one reaches both etcds")
    void showsAndResolvesAConflict() throws Exception {
        browser = chromium();
        try {
            showAndResolve();
        } catch (Exception | AssertionError e) {
            diagnose(e);
            throw e;
        }
    }

    private void showAndResolve() throws Exception {
        Path tokenFile = dir.resolve("api.token");
        Files.writeString(tokenFile, TOKEN + "\n");
        fedsyncd = FedsyncdProcess.builder(dir.resolve("fedsyncd")).cluster("host", etcd.get("host"))
                .cluster("host2", etcd.get("host2")).http("tokenFile: " + tokenFile).build();
        fedsyncd.start().awaitHealthy(WAIT);
        System.out.println("WebPageIT: real fedsyncd at " + fedsyncd.url("/") + " (pid " + fedsyncd.pid()
                + "), real etcds host " + etcd.get("host") + " and host2 " + etcd.get("host2"));

        // S2 as users hit it, three times: created on host and mirrored; fedsyncd down; edited on both hosts.
        String run = Names.random("web");
        String name = run + "-alice";
        String hostileName = run + "-mallory";
        String key = KubeObjects.userKey(name);
        String hostileKey = KubeObjects.userKey(hostileName);
        String bobKey = KubeObjects.userKey(run + "-bob");
        Kv.put(host(), key, KubeObjects.user(name, name + "@163.com"));
        Kv.put(host(), hostileKey, KubeObjects.user(hostileName, hostileName + "@163.com"));
        Kv.put(host(), bobKey, KubeObjects.user(run + "-bob", "bob@163.com"));
        await().atMost(WAIT).until(() -> Kv.get(host2(), key).isPresent() && Kv.get(host2(), hostileKey).isPresent()
                && Kv.get(host2(), bobKey).isPresent());
        await().pollDelay(Duration.ofSeconds(1)).atMost(WAIT).until(() -> true); // metadata stamped before the stop
        fedsyncd.stop();
        String one = KubeObjects.user(name, name + "-one@163.com");
        String two = KubeObjects.user(name, name + "-two@163.com");
        Kv.put(host(), key, one);
        Kv.put(host2(), key, two);
        String hostileOne = KubeObjects.user(hostileName, HOSTILE + "@one");
        Kv.put(host(), hostileKey, hostileOne);
        Kv.put(host(), bobKey, KubeObjects.user(run + "-bob", "bob-one@163.com"));
        Kv.put(host2(), bobKey, KubeObjects.user(run + "-bob", "bob-two@163.com"));
        Kv.put(host2(), hostileKey, KubeObjects.user(hostileName, "</pre><script>document.title='pwned'</script>"));
        fedsyncd.start().awaitHealthy(WAIT);
        await().atMost(WAIT).until(() -> fedsyncd.conflicts("state=open&key=" + KubeObjects.USERS_PREFIX + run).size() == 3);
        String id = fedsyncd.conflicts("state=open&key=" + key).get(0).path("id").asText();
        String hostileId = fedsyncd.conflicts("state=open&key=" + hostileKey).get(0).path("id").asText();
        String bobId = fedsyncd.conflicts("state=open&key=" + bobKey).get(0).path("id").asText();

        // ---- the page: health at the top ----
        browser.get(fedsyncd.url("/"));
        assertThat(browser.getTitle()).isEqualTo("fedsync");
        await("both clusters live in the health table").atMost(WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(text("clusters")).contains("host", "host2");
            assertThat(browser.findElements(By.cssSelector("#clusters tbody tr"))).hasSize(2)
                    .allSatisfy(r -> assertThat(cell(r, 0)).isEqualTo("live"));
        });
        assertThat(text("summary")).contains("Health", "healthy", "Raft term", "Fencing term", "Policy", "hold");
        assertThat(text("pairs")).contains("host → host2", "host2 → host");

        // ---- the conflicts table (default filter: open) ----
        await("both conflicts listed").atMost(WAIT).ignoreExceptions()
                .until(() -> rowIds().containsAll(List.of(id, hostileId)));
        WebElement r = row(id);
        assertThat(cell(r, 0)).isEqualTo("open");
        assertThat(cell(r, 1)).isEqualTo(id);
        assertThat(cell(r, 2)).isEqualTo(key);
        assertThat(cell(r, 3)).isEqualTo("concurrent-update");
        assertThat(cell(r, 4)).isEqualTo("host, host2");
        assertThat(cell(r, 5)).matches("\\d+(s|m \\d+s)");

        // Filters go to the API's query: a key prefix, a type, a cluster.
        byId("f-key").sendKeys(key);
        await("key filter").atMost(WAIT).ignoreExceptions().until(() -> rowIds().equals(List.of(id)));
        new Select(byId("f-type")).selectByValue("flip-flop");
        await("type filter").atMost(WAIT).ignoreExceptions().until(() -> rowIds().isEmpty()
                && text("conflicts").contains("No conflicts match."));
        new Select(byId("f-type")).selectByValue("concurrent-update");
        new Select(byId("f-cluster")).selectByValue("host2");
        await("cluster filter").atMost(WAIT).ignoreExceptions().until(() -> rowIds().equals(List.of(id)));
        byId("f-key").clear();
        new Select(byId("f-cluster")).selectByValue("");
        await().atMost(WAIT).ignoreExceptions().until(() -> rowIds().containsAll(List.of(id, hostileId)));

        // ---- the detail: both versions side by side, the differing field marked ----
        open(id);
        assertThat(text("detail-meta")).contains(key, "concurrent-update", "open", "host, host2");
        WebElement diffRow = browser.findElement(By.cssSelector("#diff tbody tr[data-path='/spec/email']"));
        assertThat(diffRow.getText()).contains("/spec/email", "\"" + name + "-one@163.com\"",
                "\"" + name + "-two@163.com\"");
        assertThat(browser.findElements(By.cssSelector("#diff tbody tr[data-path]"))).hasSize(1);
        for (String[] side : new String[][] {{"host", name + "-one@163.com"}, {"host2", name + "-two@163.com"}}) {
            WebElement article = browser.findElement(By.cssSelector("#sides article[data-cluster='" + side[0] + "']"));
            List<WebElement> marks = article.findElements(By.cssSelector("mark.differs"));
            assertThat(marks).as("marked in %s's version", side[0]).hasSize(1);
            assertThat(marks.get(0).getDomAttribute("data-path")).isEqualTo("/spec/email");
            assertThat(marks.get(0).getText()).contains("\"email\": \"" + side[1] + "\"");
            assertThat(article.getText()).contains("Revision", "Vector", "Written", "\"kind\": \"User\"",
                    "\"name\": \"" + name + "\"");
            assertThat(article.findElement(By.cssSelector("mark.differs")).getCssValue("background-color"))
                    .as("highlighted").isNotIn("rgba(0, 0, 0, 0)", "transparent");
            assertThat(((JavascriptExecutor) browser).executeScript("const m = arguments[0], p = m.closest('pre');"
                    + " const a = m.getBoundingClientRect(), b = p.getBoundingClientRect();"
                    + " return a.top >= b.top && a.bottom <= b.bottom;", marks.get(0)))
                    .as("%s's version scrolled to the differing field", side[0]).isEqualTo(true);
        }
        assertThat(browser.findElements(By.cssSelector("#resolve-buttons button")).stream().map(WebElement::getText))
                .containsExactly("Keep host", "Keep host2", "Delete everywhere");
        assertThat(byId("custom-value").getDomProperty("value")).contains("\"kind\": \"User\"");
        Path before = screenshot("conflict.png");

        // Auto-refresh keeps the selection.
        String refreshed = text("refreshed");
        await("a refresh").atMost(WAIT).until(() -> !text("refreshed").equals(refreshed));
        assertThat(row(id).getDomAttribute("class")).contains("selected");
        assertThat(row(id).getDomAttribute("aria-selected")).isEqualTo("true");
        assertThat(text("detail-id")).isEqualTo(id);

        // ---- attacker-controlled values are text, never markup ----
        open(hostileId);
        assertThat(text("sides")).contains("<img src=x onerror=", "</pre><script>document.title='pwned'</script>");
        assertThat(text("diff")).contains("<img src=x onerror=", "</pre><script>");
        assertThat(browser.findElements(By.cssSelector("#detail img, #detail script"))).isEmpty();
        assertThat(browser.getTitle()).isEqualTo("fedsync");

        // ---- resolve by clicking: keep host2; the page asks for the token ----
        open(id);
        assertThat(row(id).getDomAttribute("class")).contains("selected");
        assertThat(row(hostileId).getDomAttribute("class")).doesNotContain("selected");
        browser.findElement(By.cssSelector("#resolve-buttons button[data-winner='host2']")).click();
        await().atMost(WAIT).until(() -> byId("confirm").isDisplayed());
        assertThat(text("confirm-text")).isEqualTo("Keep host2's version in every cluster of conflict " + id + "?");
        byId("confirm-yes").click();
        enterToken(TOKEN + "-wrong", "401");
        enterToken(TOKEN, "403: the bearer token is not the one");
        await("resolved in the page").atMost(WAIT).ignoreExceptions()
                .until(() -> text("resolve-result").equals("Conflict " + id + " resolved: host2 wins."));
        assertThat(text("detail-meta")).contains("resolved", "host2 wins", "by api");
        assertThat(browser.findElement(By.cssSelector("#sides article[data-cluster='host2'] h4")).getText())
                .isEqualTo("host2 kept");
        assertThat(byId("resolve").isDisplayed()).isFalse();
        assertThat(byId("resolve-error").isDisplayed()).isFalse();
        assertThat(js("return sessionStorage.getItem('fedsync.apiToken')")).isEqualTo(TOKEN);
        assertThat(js("return localStorage.length")).isEqualTo(0L);

        // ---- real etcd reads: both clusters hold host2's object ----
        await("host2's object in both etcds").atMost(WAIT)
                .until(() -> Kv.get(host(), key).equals(Optional.of(two)) && Kv.get(host2(), key).equals(Optional.of(two)));
        JsonNode record = fedsyncd.get("/api/v1/conflicts/" + id).json();
        assertThat(record.path("state").asText()).isEqualTo("resolved");
        assertThat(record.path("resolution").path("winner").asText()).isEqualTo("host2");
        assertThat(record.path("resolution").path("how").asText()).isEqualTo("winner");

        // The open list drops it by itself; the resolved filter shows it.
        await("gone from the open list").atMost(WAIT).ignoreExceptions()
                .until(() -> Set.copyOf(rowIds()).equals(Set.of(hostileId, bobId)));
        new Select(byId("f-state")).selectByValue("resolved");
        await("listed as resolved").atMost(WAIT).ignoreExceptions()
                .until(() -> rowIds().equals(List.of(id)) && cell(row(id), 0).equals("resolved"));
        assertThat(row(id).getDomAttribute("class")).contains("selected");
        Path after = screenshot("resolved.png");

        // ---- a custom value: one of another name refused with the API's message, then one written everywhere ----
        new Select(byId("f-state")).selectByValue("open");
        open(hostileId);
        ObjectNode wrong = (ObjectNode) JSON.readTree(hostileOne);
        ((ObjectNode) wrong.path("metadata")).put("name", "someone-else");
        js("document.getElementById('custom-value').value = arguments[0]", wrong.toPrettyString());
        byId("resolve-value").click();
        await().atMost(WAIT).until(() -> byId("confirm").isDisplayed());
        assertThat(text("confirm-text")).isEqualTo("Write this value to every cluster of conflict " + hostileId + "?");
        byId("confirm-yes").click();
        await("the API's refusal shown").atMost(WAIT).ignoreExceptions()
                .until(() -> text("resolve-error").startsWith("Not resolved: 422: ") && text("resolve-error")
                        .contains("metadata.name"));
        assertThat(fedsyncd.conflicts("state=open&key=" + hostileKey)).as("still open").hasSize(1);
        ObjectNode mine = (ObjectNode) JSON.readTree(hostileOne);
        ((ObjectNode) mine.path("spec")).put("email", "operator@163.com");
        js("document.getElementById('custom-value').value = arguments[0]", mine.toPrettyString());
        byId("resolve-value").click();
        await().atMost(WAIT).until(() -> byId("confirm").isDisplayed());
        byId("confirm-yes").click();
        await("resolved by value in the page").atMost(WAIT).ignoreExceptions().until(() ->
                text("resolve-result").equals("Conflict " + hostileId + " resolved: your value written everywhere."));
        assertThat(byId("resolve-error").isDisplayed()).isFalse();
        await("the operator's object in both etcds").atMost(WAIT).until(() -> {
            Optional<String> a = Kv.get(host(), hostileKey);
            Optional<String> b = Kv.get(host2(), hostileKey);
            return a.isPresent() && a.equals(b) && JSON.readTree(a.get()).equals(mine);
        });

        // A resolution made elsewhere (the API, here) shows up without a reload.
        new Select(byId("f-state")).selectByValue("resolved");
        await().atMost(WAIT).ignoreExceptions()
                .until(() -> Set.copyOf(rowIds()).equals(Set.of(id, hostileId)));
        FedsyncdProcess.Response other = fedsyncd.send("POST", "/api/v1/conflicts/" + bobId + "/resolve",
                "{\"delete\": true}", Map.of("content-type", "application/json", "authorization", "Bearer " + TOKEN));
        assertThat(other.status()).as(other.body()).isEqualTo(200);
        await("the other resolution shown by auto-refresh").atMost(WAIT).ignoreExceptions()
                .until(() -> Set.copyOf(rowIds()).equals(Set.of(id, hostileId, bobId)));

        // No script error and no Content-Security-Policy violation in the console (the 401, 403 and 422
        // the page handled are logged by Chromium as failed loads).
        List<LogEntry> console = browser.manage().logs().get(LogType.BROWSER).getAll();
        assertThat(console).as("browser console").noneMatch(e -> e.getLevel().intValue() >= Level.SEVERE.intValue()
                && !e.getMessage().matches("(?s).*status of (401|403|422).*"));
        assertThat(fedsyncd.logText()).doesNotContain(TOKEN);
        System.out.println("WebPageIT: screenshots " + before + " and " + after);
    }
}
