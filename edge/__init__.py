"""The site terminal: card reader, camera, face checks, durable outbox, MQTT uplink."""
