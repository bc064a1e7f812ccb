package io.fedsync.daemon.state;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fedsync.raft.api.json.Json;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Shared wording for state-file failures, so every file reports problems the same way. */
final class StateFiles {

    private StateFiles() {
    }

    static JsonNode parse(Path file, byte[] bytes, String advice) {
        try {
            return Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw corrupt(file, e.getOriginalMessage().lines().findFirst().orElse("not JSON")
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()), advice);
        } catch (IOException e) {
            throw cannotRead(file, e);
        }
    }

    static StateStoreException corrupt(Path file, String why, String advice) {
        return new StateStoreException("state file " + file + " is corrupt: " + why + "; " + advice);
    }

    static StateStoreException cannotRead(Path file, IOException e) {
        return new StateStoreException("cannot read state file " + file + ": " + reason(e), e);
    }

    static StateStoreException cannotWrite(Path file, IOException e) {
        return new StateStoreException("cannot write state file " + file + ": " + reason(e), e);
    }

    private static String reason(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
