<?php
// The page: ?note=TEXT (or a POST field note) writes a row, then every row is read back.
// It reaches MariaDB over TCP by the db service's name (DB_HOST), as php-fpm's pool passes it.
mysqli_report(MYSQLI_REPORT_ERROR | MYSQLI_REPORT_STRICT);
header('Content-Type: text/plain; charset=utf-8');
$db = new mysqli(getenv('DB_HOST'), getenv('DB_USER'), getenv('DB_PASSWORD'), getenv('DB_NAME'),
                 (int) (getenv('DB_PORT') ?: 3306));
$note = $_POST['note'] ?? $_GET['note'] ?? null;
if ($note !== null && $note !== '') {
    $insert = $db->prepare('INSERT INTO notes (text) VALUES (?)');
    $insert->bind_param('s', $note);
    $insert->execute();
    echo "written: ", $insert->insert_id, "\n";
}
foreach ($db->query('SELECT id, text FROM notes ORDER BY id') as $row) {
    echo "row ", $row['id'], ": ", $row['text'], "\n";
}
echo "server: ", $db->server_info, "\n";
