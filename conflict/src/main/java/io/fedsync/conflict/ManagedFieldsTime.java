package io.fedsync.conflict;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * The time a kube-apiserver recorded for the last write of an object: the newest
 * {@code metadata.managedFields[].time} (RFC 3339, second precision). The apiserver sets it on
 * every write a field manager makes, so unlike the time a mirror happens to see a change, it
 * orders writes made on different clusters while nobody was watching.
 */
public final class ManagedFieldsTime {

    private static final JsonFactory JSON = new JsonFactory();

    private ManagedFieldsTime() {
    }

    /** Epoch millis of the newest managedFields time, or 0 when the value has none (or is not JSON). */
    public static long newestMillis(byte[] value) {
        if (value == null || value.length == 0 || value[0] != '{') {
            return 0;
        }
        try (JsonParser p = JSON.createParser(value)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return 0;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("metadata".equals(field) && t == JsonToken.START_OBJECT) {
                    return fromMetadata(p);
                }
                p.skipChildren();
            }
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static long fromMetadata(JsonParser p) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken t = p.nextToken();
            if ("managedFields".equals(field) && t == JsonToken.START_ARRAY) {
                return fromEntries(p);
            }
            p.skipChildren();
        }
        return 0;
    }

    private static long fromEntries(JsonParser p) throws IOException {
        long newest = 0;
        while (p.nextToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String field = p.currentName();
                JsonToken t = p.nextToken();
                if ("time".equals(field) && t == JsonToken.VALUE_STRING) {
                    newest = Math.max(newest, parse(p.getText()));
                } else {
                    p.skipChildren();
                }
            }
        }
        return newest;
    }

    private static long parse(String rfc3339) {
        try {
            return OffsetDateTime.parse(rfc3339).toInstant().toEpochMilli();
        } catch (DateTimeParseException e) {
            return 0;
        }
    }
}
