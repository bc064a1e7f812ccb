package io.fedsync.itest.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Launches {@link LoadGenerator} as its own JVM ({@code java -cp <this JVM's class path>}), with the
 * benchmark's logging config; its stderr goes to a file in the run's directory.
 */
final class LoadGeneratorProcess implements AutoCloseable {

    private final Process process;
    private final BufferedReader stdout;
    private final Path outFile;
    private final Path errFile;
    private final List<String> command;

    private LoadGeneratorProcess(Path dir, String endpoint, int writers, int seconds, int keys, int valueBytes)
            throws IOException {
        Files.createDirectories(dir);
        outFile = dir.resolve("writes.bin");
        errFile = dir.resolve("writers.log");
        command = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString()));
        String logback = System.getProperty("logback.configurationFile");
        if (logback != null) {
            command.add("-Dlogback.configurationFile=" + logback);
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), LoadGenerator.class.getName(),
                "--endpoint", endpoint, "--writers", Integer.toString(writers), "--seconds", Integer.toString(seconds),
                "--keys", Integer.toString(keys), "--value-bytes", Integer.toString(valueBytes),
                "--out", outFile.toString()));
        process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.appendTo(errFile.toFile())).start();
        stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    static LoadGeneratorProcess launch(Path dir, String endpoint, int writers, int seconds, int keys, int valueBytes) {
        try {
            return Cleanup.register("writers' JVM", new LoadGeneratorProcess(dir, endpoint, writers, seconds, keys,
                    valueBytes));
        } catch (IOException e) {
            throw new IllegalStateException("cannot launch the writers' JVM", e);
        }
    }

    long pid() {
        return process.pid();
    }

    /** Waits for READY (connected, values built). */
    void awaitReady() throws IOException {
        expect("READY");
    }

    /** Tells the writers to start; returns at once. */
    void go() throws IOException {
        OutputStream in = process.getOutputStream();
        in.write("GO\n".getBytes(StandardCharsets.US_ASCII));
        in.flush();
    }

    /** Waits for DONE and reads what was written. */
    LoadGenerator.Result awaitDone(long timeoutSeconds) throws IOException, InterruptedException {
        expect("DONE");
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the writers' JVM did not exit");
        }
        return LoadGenerator.read(outFile);
    }

    private void expect(String word) throws IOException {
        String line;
        while ((line = stdout.readLine()) != null) {
            if (line.startsWith(word)) {
                return;
            }
        }
        throw new IllegalStateException("the writers' JVM ended before " + word + " (exit "
                + (process.isAlive() ? "?" : process.exitValue()) + "): " + errTail());
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String errTail() {
        try {
            List<String> lines = Files.exists(errFile) ? Files.readAllLines(errFile) : List.of();
            return String.join(" | ", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    /** Failed puts and other warnings the writers printed. */
    List<String> warnings() {
        try {
            return Files.exists(errFile) ? Files.readAllLines(errFile) : List.of();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        Cleanup.forget(this);
    }
}
