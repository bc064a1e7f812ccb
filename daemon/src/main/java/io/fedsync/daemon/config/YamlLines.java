package io.fedsync.daemon.config;

import java.io.StringReader;
import java.util.List;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Finds the line of a key path such as {@code clusters[1].etcd.caFile} in the YAML source.
 * Jackson reports the end of the document for errors found while binding records, so error
 * messages take their line numbers from snakeyaml's node tree instead.
 */
final class YamlLines {

    private static final Pattern SEGMENT = Pattern.compile("([^.\\[\\]]+)|\\[(\\d+)]");

    private final Node root;

    private YamlLines(Node root) {
        this.root = root;
    }

    static YamlLines of(String yaml) {
        try {
            return new YamlLines(new Yaml(new LoaderOptions()).compose(new StringReader(yaml)));
        } catch (RuntimeException e) {
            // Malformed YAML: its parse error already carries a line; nothing to locate in.
            return new YamlLines(null);
        }
    }

    /** The 1-based line of the deepest node on {@code path} that exists. */
    OptionalInt line(String path) {
        return walk(path, false);
    }

    /**
     * Whether the key {@code path} is written, even with no value ({@code federation:} alone, which
     * Jackson binds to null like an absent key).
     */
    boolean present(String path) {
        return walk(path, true).isPresent();
    }

    private OptionalInt walk(String path, boolean whole) {
        Node node = root;
        if (node == null) {
            return OptionalInt.empty();
        }
        int line = node.getStartMark().getLine() + 1;
        Matcher m = SEGMENT.matcher(path);
        while (m.find()) {
            if (node == null) {
                return whole ? OptionalInt.empty() : OptionalInt.of(line);
            }
            Node next = null;
            Node marker = null;
            if (m.group(1) != null && node instanceof MappingNode map) {
                for (NodeTuple t : map.getValue()) {
                    if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals(m.group(1))) {
                        next = t.getValueNode();
                        marker = k;
                    }
                }
            } else if (m.group(2) != null && node instanceof SequenceNode seq) {
                List<Node> items = seq.getValue();
                int i = Integer.parseInt(m.group(2));
                if (i < items.size()) {
                    next = items.get(i);
                    marker = next;
                }
            }
            if (marker == null) {
                if (whole) {
                    return OptionalInt.empty();
                }
                break;
            }
            line = marker.getStartMark().getLine() + 1;
            node = next;
        }
        return OptionalInt.of(line);
    }
}
